// Two projects: the default suite (CPU, runs everywhere) and the CUDA suite, which compares the CUDA backend
// with the CPU backend and skips itself, saying why, where no GPU or no CUDA build is present.
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/test/cuda/'] },
    { ...common, displayName: 'cuda', testMatch: ['<rootDir>/test/cuda/**/*.test.ts'] },
  ],
  testTimeout: 120000,
};
