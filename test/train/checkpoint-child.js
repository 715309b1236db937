// Child process for the kill -9 test: saves big checkpoints in a loop, announcing each on stdout, until killed.
require('../ts-register');
const { saveCheckpoint } = require('../../lib/train/checkpoint.ts');

const root = process.argv[2];
const elements = 8 * 1024 * 1024; // 32 MB per checkpoint, so a save takes long enough to be killed in the middle

(async () => {
  for (let i = 0; ; i++) {
    const value = { index: i, data: new Float32Array(elements).fill(i) };
    process.stdout.write(`saving ${i}\n`); // announced after the allocation, so the kill lands in the save itself
    await saveCheckpoint(root, `ck-${i}`, value);
    process.stdout.write(`saved ${i}\n`);
  }
})();
