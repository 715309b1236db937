#!/usr/bin/env node
// npm run test:asan [-- <jest arguments>]: builds both addons with AddressSanitizer + UndefinedBehaviorSanitizer
// (native/test-addon/build.js, variant 'asan'; cached, so a rebuild compiles only what changed) and runs the native
// test files against them (test/asan/jest.config.js). node itself is not instrumented, so the ASan runtime is
// preloaded (LD_PRELOAD) into it and every process it starts. Leak detection is off: V8 and node keep memory to
// exit by design, which LeakSanitizer would report. Any sanitizer report aborts the process that made it, so the
// test that ran it fails. Linux with g++ (the toolchain that built the addons).
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const path = require('path');
const { buildAddons } = require('../../native/test-addon/build.js');

const root = path.resolve(__dirname, '..', '..');

async function main() {
  const started = Date.now();
  const { production, test } = await buildAddons({ variant: 'asan' });
  process.stderr.write(`[test:asan] sanitizer addons ready in ${Math.round((Date.now() - started) / 1000)} s\n`);
  const libasan = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  // g++ echoes the bare name when it has no such library.
  if (!path.isAbsolute(libasan)) throw new Error('g++ has no libasan.so (install the compiler\'s sanitizer runtime)');
  const env = {
    ...process.env,
    LD_PRELOAD: libasan,
    ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=0',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:abort_on_error=1',
    BERTNODE_ASAN_ADDON: production,
    BERTNODE_TEST_ADDON: test,
  };
  const jest = require.resolve('jest/bin/jest', { paths: [root] });
  const run = spawnSync(process.execPath, [jest, '--config', path.join(__dirname, 'jest.config.js'),
    ...process.argv.slice(2)], { cwd: root, env, stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

main().catch((e) => {
  process.stderr.write(`[test:asan] ${e.message}\n`);
  process.exit(1);
});
