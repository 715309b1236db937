// Run by first-token-layer.test.ts as `node first-token-child.js <addon> '<RunSpec JSON>'` with
// BERTNODE_FIRST_TOKEN_LAYER=0: runSpec (first-token-run.ts) on the full last layer, on the addon binary <addon> — the
// one the test's own loader resolves (the sanitizer build under npm run test:asan), so both sides run the same build.
// Prints the RunResult as JSON.
'use strict';
const path = require('path');

const root = path.resolve(__dirname, '..', '..', '..');
const [addon, spec] = process.argv.slice(2);
// lib/native finds its addon through node-gyp-build: answer that lookup with <addon>.
const loader = Object.assign(() => require(addon), { path: () => addon });
require.cache[require.resolve('node-gyp-build', { paths: [root] })] = { loaded: true, exports: loader };
require(path.join(root, 'test', 'ts-register.js'));
const { runSpec } = require('./first-token-run.ts');

runSpec(JSON.parse(spec)).then((result) => process.stdout.write(JSON.stringify(result)), (e) => {
  process.stderr.write(String((e && e.stack) || e));
  process.exit(1);
});
