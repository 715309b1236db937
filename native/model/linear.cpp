// nn.Linear forward/backward on row-major activations, and the dropout helper every module shares.
//
// Shapes: x [rows,in], y/dY [rows,out], weight/dWeight [out,in], bias/dBias [out].
#include "model/layers.h"

#include <stdexcept>

#include "cpu/gemm_int8.h"

namespace bertnode {

void linearForward(Backend& be, const Linear& lin, float* y, const float* x, int rows, int in, int out) {
  if (lin.int8) {
    // Host pointers: only models on the CPU backend attach int8 copies (quantized_linears.h).
    if (lin.int8->N != out || lin.int8->K != in) throw std::logic_error("int8 weights do not match the Linear's shape");
    cpu::linearInt8(*lin.int8, x, rows, lin.bias, y);
    return;
  }
  be.gemm(false, true, rows, out, in, 1.0f, x, in, lin.weight, in, 0.0f, y, out);
  be.addBias(y, lin.bias, rows, out);
}

void linearForward(Backend& be, const Linear& lin, uint16_t* y, float* scratch, const float* x, int rows, int in,
                   int out) {
  be.gemm(false, true, rows, out, in, 1.0f, x, in, lin.weight, in, 0.0f, scratch, out);
  be.addBiasBf16(y, scratch, lin.bias, rows, out);
}

void linearForward(Backend& be, const Linear& lin, float* y, const uint16_t* x, int rows, int in, int out) {
  be.gemmBf16Operands(false, true, rows, out, in, 1.0f, x, true, in, lin.weight, false, in, 0.0f, y, out);
  be.addBias(y, lin.bias, rows, out);
}

namespace {

// db and dX, after the weight gradient: the part of the backward that does not read x.
void biasAndInputGradients(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, int rows, int in,
                           int out) {
  if (lin.dBias) be.biasBackward(lin.dBias, dY, rows, out);
  if (dX) be.gemm(false, false, rows, in, out, 1.0f, dY, out, lin.weight, in, dXBeta, dX, in);
}

}  // namespace

void linearBackward(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, const float* x,
                    int rows, int in, int out) {
  if (lin.dWeight) be.gemm(true, false, out, in, rows, 1.0f, dY, out, x, in, 1.0f, lin.dWeight, in);
  biasAndInputGradients(be, lin, dX, dXBeta, dY, rows, in, out);
}

void linearBackward(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, const uint16_t* x,
                    int rows, int in, int out) {
  if (lin.dWeight) {
    be.gemmBf16Operands(true, false, out, in, rows, 1.0f, dY, false, out, x, true, in, 1.0f, lin.dWeight, in);
  }
  biasAndInputGradients(be, lin, dX, dXBeta, dY, rows, in, out);
}

}  // namespace bertnode
