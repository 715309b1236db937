// Types of build.js for the TypeScript tests that use it (test/test-addon, test/cuda-emulation).
export interface AddonPaths {
  production: string;
  test: string;
}
export function buildAddons(options?: { variant?: 'release' | 'asan'; jobs?: number }): Promise<AddonPaths>;
export const cacheDir: string;
export function run(command: string, args: string[]): Promise<void>;
export function inParallel<T>(items: T[], jobs: number, work: (item: T) => Promise<void>): Promise<void>;
export function hashOf(...parts: string[]): string;
export function headerFiles(dir: string): string[];
