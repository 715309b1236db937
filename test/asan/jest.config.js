// Jest configuration of `npm run test:asan` (run.js starts it): the native test files — test/native (the model
// API, hostile callers, gradchecks) and test/gemm (the raw kernels) — against the AddressSanitizer +
// UndefinedBehaviorSanitizer builds of both addons. Everything else is the default suite's project.
const { projects, testTimeout } = require('../../jest.config.js');

const unit = projects.find((project) => project.displayName === 'unit');
module.exports = {
  ...unit,
  displayName: 'asan',
  rootDir: '../..',
  testMatch: ['<rootDir>/test/native/**/*.test.ts', '<rootDir>/test/gemm/**/*.test.ts',
    '<rootDir>/test/asan/sanitizer-live.check.ts'],
  globalSetup: undefined,  // run.js built the sanitizer addons and put their paths in the environment
  moduleNameMapper: { '^node-gyp-build$': '<rootDir>/test/asan/node-gyp-build.js' },
  // The one test that bounds resident memory (finalizer.test.ts) measures the allocator, and ASan's allocator keeps
  // freed blocks in quarantine (256 MB) on purpose, to catch use-after-free; that bound is the default suite's.
  testNamePattern: '^(?!.*undisposed models are freed by the finalizer)',
  // Instrumented code runs several times slower.
  testTimeout: testTimeout * 5,
};
