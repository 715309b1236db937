// Emulation stand-in for cuBLAS's header: only what native/cuda/cuda_check.h names (the GEMMs are not emulated).
#pragma once
typedef int cublasStatus_t;
constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
inline const char* cublasGetStatusName(cublasStatus_t) { return "emulated"; }
inline const char* cublasGetStatusString(cublasStatus_t) { return "emulated"; }
