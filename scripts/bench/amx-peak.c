/* The machine's AMX-BF16 peak for scripts/bench-*.js: `threads` threads each run a loop of tdpbf16ps on tiles that
 * never leave the tile registers (four accumulators C += A * B over two A and two B tiles, the 2 x 2 blocking of the
 * GEMM kernel in native/cpu/gemm_amx.cpp, with no tile loads or stores inside the loop), so the rate is the AMX unit's
 * limit at the clock the cores sustain. One tdpbf16ps = 16 x 16 x 32 multiply-adds = 16,384 FLOP. Linux only: the
 * tile data permission is asked with arch_prctl(ARCH_REQ_XCOMP_PERM) first. Prints the best of `runs` as one JSON
 * line, in GFLOP/s of wall clock (gflops) and per CPU-second (cpuGflops, one core's rate while it runs), or an
 * {"error"} line and exit status 3 when the CPU/OS has no AMX-BF16.
 * Build: cc -O2 -mamx-tile -mamx-bf16 amx-peak.c -o amx-peak -pthread. Usage: amx-peak threads runs */
#include <stdlib.h>

#include "amx-harness.h"
#include "peak-harness.h"

static const long kIterations = 2000000L;

static void* spin(void* out) {
  configureTiles();
  static const uint16_t ones[16 * 32] __attribute__((aligned(64))) = {0}; /* bf16 zeros: values do not matter */
  _tile_loadd(4, ones, 64);
  _tile_loadd(5, ones, 64);
  _tile_loadd(6, ones, 64);
  _tile_loadd(7, ones, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long n = 0; n < kIterations; ++n) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, out, 64); /* keeps the loop alive */
  _tile_release();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s threads runs\n", argv[0]);
    return 2;
  }
  if (!amxBf16Available()) return 3;
  const int threads = atoi(argv[1]), runs = atoi(argv[2]);
  float* sink = aligned_alloc(64, 1024 * sizeof(float) * threads);
  const struct PeakRates best = bestRates(spin, sink, 1024, threads, runs, 16384.0 * 4 * kIterations);
  printf("{\"gflops\":%.3f,\"cpuGflops\":%.3f,\"threads\":%d}\n", best.gflops, best.cpuGflops, threads);
  free(sink);
  return 0;
}
