// Targets that fail on purpose, for fuzz-smoke.test.ts to prove the harness notices each kind of failure. Each
// behaves on the unmutated seeds (the harness refuses seeds that fail) and misbehaves on any mutated input.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SEED_DIR = path.join(__dirname, '..', '..', 'scripts', 'fuzz', 'seeds', 'tsv');
const seeds = new Set(fs.readdirSync(SEED_DIR).map((f) => fs.readFileSync(path.join(SEED_DIR, f)).toString('base64')));
const isSeed = (file) => seeds.has(fs.readFileSync(file).toString('base64'));

const TARGETS = [
  { name: 'broken-untyped', seeds: 'tsv', mutate: 'bytes', run: (file) => { if (!isSeed(file)) throw new TypeError('not a bertnode error'); } },
  { name: 'broken-typed', seeds: 'tsv', mutate: 'bytes', run: (file) => { if (!isSeed(file)) throw Object.assign(new Error('typed'), { code: 'ERR_BERTNODE_FAKE' }); } },
  { name: 'broken-hang', seeds: 'tsv', mutate: 'bytes', run: (file) => { if (!isSeed(file)) for (;;); } },
  {
    name: 'broken-memory',
    seeds: 'tsv',
    mutate: 'bytes',
    run: async (file) => {
      if (isSeed(file)) return;
      const hold = [];
      for (;;) {
        hold.push(Buffer.alloc(16 << 20, 1));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  },
];

module.exports = { TARGETS };
