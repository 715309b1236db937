/* The timing harness of the peak programs (fma-peak.c, amx-peak.c): each supplies a `spin` loop that runs a fixed
 * number of FLOP with no memory traffic; this runs it on `threads` threads, `runs` times, and keeps the best rate in
 * GFLOP/s of wall clock (gflops) and per CPU-second of all the threads (cpuGflops: one core's rate while it runs,
 * whatever else shares the machine, as bench-gemm.js --cpu-time measures the GEMMs). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static double secondsOf(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

struct PeakRates {
  double gflops, cpuGflops;
};

/* Thread t runs spin(sink + t * sinkStride); each thread's spin does flopPerThread FLOP. */
static struct PeakRates bestRates(void* (*spin)(void*), float* sink, int sinkStride, int threads, int runs,
                                  double flopPerThread) {
  pthread_t* ids = malloc(sizeof(pthread_t) * threads);
  struct PeakRates best = {0, 0};
  for (int r = 0; r < runs; ++r) {
    const double t0 = secondsOf(CLOCK_MONOTONIC), c0 = secondsOf(CLOCK_PROCESS_CPUTIME_ID);
    for (int t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, spin, sink + t * sinkStride);
    for (int t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
    const double gflops = flopPerThread * threads / (secondsOf(CLOCK_MONOTONIC) - t0) / 1e9;
    const double cpuGflops = flopPerThread * threads / (secondsOf(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e9;
    if (gflops > best.gflops) best.gflops = gflops;
    if (cpuGflops > best.cpuGflops) best.cpuGflops = cpuGflops;
  }
  free(ids);
  return best;
}
