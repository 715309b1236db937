/* What the AMX bench programs (amx-peak.c, amx-load-ceiling.c) share: the CPU/OS check, and the tile configuration
 * of the GEMM kernels (native/cpu/gemm_amx.cpp): eight tiles of 16 rows x 64 bytes. */
#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* AMX-BF16 on the CPU (CPUID.7.0:EDX bits 22 and 24) and the Linux permission for tile data granted; otherwise prints
 * the {"error"} line the bench scripts expect and returns 0 (the caller exits with status 3). */
static int amxBf16Available(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 22)) || !(d & (1u << 24)) ||
      syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) != 0) {
    printf("{\"error\":\"no AMX-BF16 on this CPU/OS\"}\n");
    return 0;
  }
  return 1;
}

struct __attribute__((aligned(64))) TileConfig {
  uint8_t palette, startRow, reserved[14];
  uint16_t bytesPerRow[16];
  uint8_t rows[16];
};

/* Loads the tile configuration on the calling thread. */
__attribute__((target("amx-tile"))) static void configureTiles(void) {
  struct TileConfig config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.bytesPerRow[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
}
