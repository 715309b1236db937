/* Peer timing for scripts/bench-gemm.js: OpenBLAS cblas_sgemm on one shape, best of `reps` timed runs after one
 * warm-up, printed as one JSON line. Inputs are filled like the bertnode side (same values, same strides), so both
 * do the same arithmetic on the same memory footprint. A batch > 1 loops cblas_sgemm over the matrices: OpenBLAS
 * 0.3.21 (Debian 12) has no strided-batched call, and each call is threaded by OpenBLAS itself.
 * Usage: openblas-sgemm M N K transA transB batch reps */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void fill(float* x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)((seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
  }
}

int main(int argc, char** argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s M N K transA transB batch reps\n", argv[0]);
    return 2;
  }
  const int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]);
  const int transA = atoi(argv[4]), transB = atoi(argv[5]), batch = atoi(argv[6]), reps = atoi(argv[7]);
  const size_t sizeA = (size_t)M * K, sizeB = (size_t)K * N, sizeC = (size_t)M * N;
  float* A = malloc(sizeA * batch * sizeof(float));
  float* B = malloc(sizeB * batch * sizeof(float));
  float* C = malloc(sizeC * batch * sizeof(float));
  if (!A || !B || !C) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  fill(A, sizeA * batch, 1);
  fill(B, sizeB * batch, 2);
  const int lda = transA ? M : K, ldb = transB ? K : N;
  double best = 1e30;
  for (int r = 0; r <= reps; ++r) {
    const double t0 = now();
    for (int i = 0; i < batch; ++i) {
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K,
                  1.0f, A + i * sizeA, lda, B + i * sizeB, ldb, 0.0f, C + i * sizeC, N);
    }
    const double t = now() - t0;
    if (r > 0 && t < best) best = t; /* r == 0 is the warm-up */
  }
  printf("{\"seconds\":%.9f,\"threads\":%d}\n", best, openblas_get_num_threads());
  free(A);
  free(B);
  free(C);
  return 0;
}
