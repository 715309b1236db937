/* The machine's FP32 peak for scripts/bench-gemm.js: `threads` threads each run a loop of independent vector FMAs
 * (12 accumulators, enough to cover FMA latency x issue width on current x86 cores) with no memory traffic, so the
 * rate is the FMA units' limit at the clock the cores sustain under full vector load. 512-bit vectors when compiled
 * with -mavx512f, else 256-bit (-mavx2 -mfma). Prints the best of `runs` as one JSON line, in GFLOP/s of wall clock
 * (gflops) and per CPU-second (cpuGflops, one core's rate while it runs; 1 FMA = 2 FLOP). Usage: fma-peak threads runs */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>

#include "peak-harness.h"

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#endif

#define ACCUMULATORS 12
static const long kIterations = 40000000L;

static void* spin(void* out) {
  vec acc[ACCUMULATORS];
  const vec x = SET1(0.999999f), y = SET1(1e-7f);
  for (int i = 0; i < ACCUMULATORS; ++i) acc[i] = SET1((float)i);
  for (long n = 0; n < kIterations; ++n) {
    /* Unrolled by the compiler: 12 independent dependency chains. */
    for (int i = 0; i < ACCUMULATORS; ++i) acc[i] = FMA(acc[i], x, y);
  }
  vec sum = acc[0];
  for (int i = 1; i < ACCUMULATORS; ++i) sum = ADD(sum, acc[i]);
  STORE((float*)out, sum); /* keeps the loop alive */
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s threads runs\n", argv[0]);
    return 2;
  }
  const int threads = atoi(argv[1]), runs = atoi(argv[2]);
  float* sink = malloc(sizeof(float) * LANES * threads);
  const struct PeakRates best = bestRates(spin, sink, LANES, threads, runs, 2.0 * LANES * ACCUMULATORS * kIterations);
  printf("{\"gflops\":%.3f,\"cpuGflops\":%.3f,\"vectorBits\":%d,\"threads\":%d}\n", best.gflops, best.cpuGflops,
         LANES * 32, threads);
  free(sink);
  return 0;
}
