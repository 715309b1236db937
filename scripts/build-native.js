#!/usr/bin/env node
// Builds the CPU addon during `npm install`, offline.
//
// node-gyp-build's own install step runs `node-gyp rebuild`, which downloads Node's headers and so fails on a
// machine without internet. This script keeps node-gyp-build's rule (use a prebuild or an existing build when
// one loads) and then builds with node-gyp pointed at a local Node install that ships its headers, or, where none
// does, with cmake-js, which builds offline from the `node-api-headers` package (package.json declares
// `binary.napi_versions`). Flags: --force rebuilds even when a build exists.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');

function log(message) {
  process.stderr.write(`[bertnode build] ${message}\n`);
}

function existingBuildLoads() {
  try {
    const found = require('node-gyp-build').path(root);
    require(found);
    log(`using ${path.relative(root, found)}`);
    return true;
  } catch {
    return false;
  }
}

function localNodeDir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(process.execPath, '..', '..')].filter(Boolean);
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'common.gypi')) &&
    fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

function nodeGypScript() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  } catch {
    return process.env.npm_config_node_gyp;
  }
}

function run(command, args) {
  log(`${path.basename(command)} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

function buildWithNodeGyp(nodeDir) {
  const script = nodeGypScript();
  if (!script) return false;
  return run(process.execPath, [script, 'rebuild', `--nodedir=${nodeDir}`, '-j', 'max']);
}

function buildWithCmakeJs() {
  let script;
  try {
    script = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    log('cmake-js is not installed');
    return false;
  }
  // cmake-js writes build/Release/bertnode.node, the path node-gyp-build looks in.
  return run(process.execPath, [script, 'compile', '--out', 'build']);
}

function main() {
  if (!force && existingBuildLoads()) return 0;
  const nodeDir = localNodeDir();
  if (nodeDir && buildWithNodeGyp(nodeDir)) return 0;
  if (!nodeDir) log('no local Node headers found; building with cmake-js and node-api-headers');
  if (buildWithCmakeJs()) return 0;
  log('could not build the native addon: install a C++17 compiler and CMake (or Node headers for node-gyp)');
  return 1;
}

process.exit(main());
