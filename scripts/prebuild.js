#!/usr/bin/env node
// `npm pack` / `npm publish` (prepack): puts this machine's CPU addon into the package as a prebuild, in the layout
// node-gyp-build resolves (prebuilds/<platform>-<arch>/bertnode.napi[.<libc>].node), so an install on a matching
// machine loads it and compiles nothing. The addon is N-API (one binary for every Node version `engines` allows) and
// picks its SIMD kernels at run time, so one x64 build serves every x64 CPU. It is the addon scripts/build-native.js
// builds offline (built here first when missing), loaded once before it is copied.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'bertnode.node');

function log(message) {
  process.stderr.write(`[bertnode prebuild] ${message}\n`);
}

// node-gyp-build tells glibc from musl the same way (Alpine's marker file); a prebuild carries the libc it was built on.
function libcTag() {
  if (process.platform !== 'linux') return '';
  return fs.existsSync('/etc/alpine-release') ? '.musl' : '.glibc';
}

function main() {
  if (!fs.existsSync(built)) {
    const result = spawnSync(process.execPath, [path.join(__dirname, 'build-native.js')], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) return 1;
  }
  require(built);
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, `bertnode.napi${libcTag()}.node`);
  fs.copyFileSync(built, target);
  log(`${path.relative(root, target)} (${Math.round(fs.statSync(target).size / 1024)} KB)`);
  return 0;
}

process.exit(main());
