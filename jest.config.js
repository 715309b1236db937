// Three projects: the default suite (CPU, runs everywhere); the CUDA suite, which compares the CUDA backend
// with the CPU backend and skips itself, saying why, where no GPU or no CUDA build is present; and the same CUDA
// suite against an emulated device (test/cuda-emulation: the CUDA addon built with g++ against a host emulation of
// CUDA and cuBLAS), so the GPU tests' logic runs everywhere too. The emulated device's name says so; what emulation
// cannot prove is listed in test/cuda-emulation/shim/cuda_runtime.h. fallback.test.ts is about having no GPU.
// The default suite's globalSetup builds the test-only addon (gradchecks, raw kernels; test/test-addon), which the
// production addon does not export.
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/test/cuda/'],
      globalSetup: '<rootDir>/test/test-addon/global-setup.ts' },
    { ...common, displayName: 'cuda', testMatch: ['<rootDir>/test/cuda/**/*.test.ts'] },
    { ...common, displayName: 'cuda-emulated', testMatch: ['<rootDir>/test/cuda/**/*.test.ts'],
      testPathIgnorePatterns: ['/test/cuda/fallback\\.test\\.ts$'],
      globalSetup: '<rootDir>/test/cuda-emulation/global-setup.ts',
      setupFiles: ['<rootDir>/test/cuda-emulation/use-emulated-addon.ts'] },
  ],
  testTimeout: 120000,
};
