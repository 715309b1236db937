// Stand-in for node-gyp-build under `npm run test:asan` (test/asan/jest.config.js maps the module here): every
// lookup of the CPU addon — lib/native's loader, and the child processes some tests start (they inherit the
// environment) — gets the AddressSanitizer + UBSan build that run.js made.
'use strict';
const file = process.env.BERTNODE_ASAN_ADDON;
if (!file) throw new Error('BERTNODE_ASAN_ADDON is not set: run the sanitizer suite with `npm run test:asan`');

function load() {
  return require(file);
}
load.path = () => file;
module.exports = load;
