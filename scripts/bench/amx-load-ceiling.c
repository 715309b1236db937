/* The ceiling of the bf16 GEMM kernels' AMX block (native/cpu/amx_tile_product.h, gemm_amx.cpp) when its operands
 * must be loaded: the same 2 x 2 blocking as amx-peak.c (four accumulator tiles, two A and two B tiles), but each
 * 32-step block of k loads its two A tiles (16 rows of a row-major 32 x 256 bf16 slice, row stride 512 B) and its two
 * B tiles (a packed panel block) with tileloadd, eight blocks per call, the accumulators loaded before and stored after
 * each call — the kernels' inner loop with every operand in L1 (16 KiB + 16 KiB + 4 KiB), so no cache level below L1
 * is measured. Two orders: `inOrder` (the four loads, then the four products: the kernels' order) and `interleaved`
 * (each operand tile reloaded for the next block as soon as its last product of this block has issued). A third run,
 * `panelsFromL2`, is linear_bf16_amx.cpp's situation on BERT-base shapes: the A slice stays in L1 while each call
 * takes the next 16 KiB pass of one of 16 weight panels (1 MiB in all: from L2) and parks its sums in one of 16
 * blocks (64 KiB: L1 cannot hold them either). The ratios to amx-peak.c's tile-only rate bound what any kernel with
 * this blocking can reach here.
 * Linux only (arch_prctl tile permission). Prints one JSON line, rates in GFLOP/s of wall clock and per CPU-second,
 * the best of `runs`, or {"error"} and exit status 3 without AMX-BF16.
 * Build: cc -O2 -mamx-tile -mamx-bf16 amx-load-ceiling.c -o amx-load-ceiling -pthread.
 * Usage: amx-load-ceiling threads runs */
#include <stdlib.h>
#include <string.h>

#include "amx-harness.h"
#include "peak-harness.h"

enum { kBlocks = 8, kSliceK = 32 * kBlocks, kCalls = 200000 };

enum { kPanels = 16, kPasses = 4 };  /* panelsFromL2: 16 panels x 4 passes of 16 KiB = 1 MiB */

struct Operands {
  uint16_t a[32 * kSliceK] __attribute__((aligned(64)));  /* 32 rows x 256 k, row-major */
  uint16_t panel[kPanels * kPasses][kSliceK * 32] __attribute__((aligned(64)));  /* passes of 8 packed 2 KiB blocks */
  float sums[kPanels][32 * 32] __attribute__((aligned(64)));
};

static void loadSums(float* sums) {
  _tile_loadd(0, sums, 128);
  _tile_loadd(1, sums + 16, 128);
  _tile_loadd(2, sums + 512, 128);
  _tile_loadd(3, sums + 528, 128);
}

static void storeSums(float* sums) {
  _tile_stored(0, sums, 128);
  _tile_stored(1, sums + 16, 128);
  _tile_stored(2, sums + 512, 128);
  _tile_stored(3, sums + 528, 128);
}

/* One call in the kernels' order: sums (+)= a slice x one pass of a panel. */
static void inOrderCall(const uint16_t* a, const uint16_t* panel, float* sums) {
  loadSums(sums);
  for (int q = 0; q < kBlocks; ++q, a += 32, panel += 1024) {
    _tile_loadd(4, a, 2 * kSliceK);
    _tile_loadd(5, a + 16 * kSliceK, 2 * kSliceK);
    _tile_loadd(6, panel, 128);
    _tile_loadd(7, panel + 32, 128);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  storeSums(sums);
}

/* The same call with each operand tile reloaded as soon as its last product of the block has issued. */
static void interleavedCall(const uint16_t* a, const uint16_t* panel, float* sums) {
  loadSums(sums);
  _tile_loadd(4, a, 2 * kSliceK);
  _tile_loadd(6, panel, 128);
  _tile_loadd(5, a + 16 * kSliceK, 2 * kSliceK);
  _tile_loadd(7, panel + 32, 128);
  for (int q = 0; q < kBlocks; ++q) {
    const int more = q + 1 < kBlocks;
    a += 32;
    panel += 1024;
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(2, 5, 6);
    if (more) _tile_loadd(6, panel, 128);
    _tile_dpbf16ps(1, 4, 7);
    if (more) _tile_loadd(4, a, 2 * kSliceK);
    _tile_dpbf16ps(3, 5, 7);
    if (more) {
      _tile_loadd(7, panel + 32, 128);
      _tile_loadd(5, a + 16 * kSliceK, 2 * kSliceK);
    }
  }
  storeSums(sums);
}

/* kCalls calls on one thread's operands: always the first panel pass and sums block (L1), or (fromL2) the next pass
 * of the next panel, each with its own sums block. */
static void* runCalls(void* out, void (*call)(const uint16_t*, const uint16_t*, float*), int fromL2) {
  struct Operands* o = aligned_alloc(64, sizeof *o);
  memset(o, 0, sizeof *o);
  configureTiles();
  for (long c = 0; c < kCalls; ++c) {
    const int panel = fromL2 ? (int)(c % kPanels) : 0, pass = fromL2 ? (int)(c / kPanels % kPasses) : 0;
    call(o->a, o->panel[panel * kPasses + pass], o->sums[panel]);
  }
  memcpy(out, o->sums[0], 64);
  _tile_release();
  free(o);
  return NULL;
}

static void* inOrder(void* out) { return runCalls(out, inOrderCall, 0); }
static void* interleaved(void* out) { return runCalls(out, interleavedCall, 0); }
static void* panelsFromL2(void* out) { return runCalls(out, interleavedCall, 1); }

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s threads runs\n", argv[0]);
    return 2;
  }
  if (!amxBf16Available()) return 3;
  const int threads = atoi(argv[1]), runs = atoi(argv[2]);
  float* sink = aligned_alloc(64, 64 * sizeof(float) * threads);
  const double flop = 16384.0 * 4 * kBlocks * kCalls;
  const struct PeakRates plain = bestRates(inOrder, sink, 64, threads, runs, flop);
  const struct PeakRates early = bestRates(interleaved, sink, 64, threads, runs, flop);
  const struct PeakRates l2 = bestRates(panelsFromL2, sink, 64, threads, runs, flop);
  printf("{\"inOrder\":{\"gflops\":%.3f,\"cpuGflops\":%.3f},\"interleaved\":{\"gflops\":%.3f,\"cpuGflops\":%.3f},"
         "\"panelsFromL2\":{\"gflops\":%.3f,\"cpuGflops\":%.3f},\"threads\":%d}\n",
         plain.gflops, plain.cpuGflops, early.gflops, early.cpuGflops, l2.gflops, l2.cpuGflops, threads);
  free(sink);
  return 0;
}
