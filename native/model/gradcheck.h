// Finite-difference gradient checks of every backward op, on tiny shapes, written against the Backend interface so
// each backend (CPU, CUDA) proves its own backward kernels. Exposed to jest through the addon.
//
//   std::vector<GradcheckResult> runGradchecks(Backend& backend);
//
// Each check builds random inputs, takes loss = sum(w * op(inputs)) for fixed random weights w, computes the
// analytic gradient with the op's backward (dOut = w) and compares it with central differences of the fp32 forward
// (step 1e-2, loss summed in double). maxAbsErr is the largest |analytic - numeric| over every checked element;
// maxRelErr divides it by the largest |numeric| of the check (one scale per op, so a gradient that is exactly zero
// by symmetry, like the key bias's, does not blow the ratio up). passed means maxRelErr < kGradcheckTolerance:
// central differences carry O(step^2) truncation (~1e-4 of the gradient scale for these smooth ops) and fp32
// rounding of ~1e-7 / step (~1e-5), while a wrong formula is off by O(1).
#pragma once

#include <string>
#include <vector>

#include "model/backend.h"

namespace bertnode {

constexpr double kGradcheckTolerance = 5e-3;

struct GradcheckResult {
  std::string name;  // "layerNorm", "gelu", "tanh", "attentionSoftmax", "crossEntropy", "crossEntropyIgnored",
                     // "bceWithLogits", "squaredError", "linear", "embeddings",
                     // "dropout", "headPermutes", "clsRows", "encoderLayer" (whole BertLayer incl. dropout), "head",
                     // "encoderLayerFused" (the same layer on the backend's fused attention, where it has one),
                     // "encoderLayerFirstToken" (the composed layer as the first-token layer: the [CLS] rows'
                     // output), "encoderLayerFirstTokenFused" (the same on fused attention, where the backend has it)
  double maxAbsErr = 0.0;
  double maxRelErr = 0.0;
  bool passed = false;
};

std::vector<GradcheckResult> runGradchecks(Backend& backend);

}  // namespace bertnode
