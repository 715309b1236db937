// nn.Linear forward/backward on row-major activations, and the dropout helper every module shares.
//
// Shapes: x [rows,in], y/dY [rows,out], weight/dWeight [out,in], bias/dBias [out].
#include "model/layers.h"

namespace bertnode {

void linearForward(Backend& be, const Linear& lin, float* y, const float* x, int rows, int in, int out) {
  be.gemm(false, true, rows, out, in, 1.0f, x, in, lin.weight, in, 0.0f, y, out);
  be.addBias(y, lin.bias, rows, out);
}

void linearBackward(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, const float* x,
                    int rows, int in, int out) {
  if (lin.dWeight) be.gemm(true, false, out, in, rows, 1.0f, dY, out, x, in, 1.0f, lin.dWeight, in);
  if (lin.dBias) be.biasBackward(lin.dBias, dY, rows, out);
  if (dX) be.gemm(false, false, rows, in, out, 1.0f, dY, out, lin.weight, in, dXBeta, dX, in);
}

}  // namespace bertnode
