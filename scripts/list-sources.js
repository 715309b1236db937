#!/usr/bin/env node
// Prints the C++ sources named in native/sources.txt, space-separated, for binding.gyp's `<!@(...)` expansion.
// CMakeLists.txt reads the same file itself, so both builds compile exactly one list.
'use strict';
const fs = require('fs');
const path = require('path');

const listFile = path.join(__dirname, '..', 'native', 'sources.txt');
const sources = fs
  .readFileSync(listFile, 'utf8')
  .split('\n')
  .map((line) => line.replace(/#.*/, '').trim())
  .filter(Boolean);
process.stdout.write(sources.join(' '));
