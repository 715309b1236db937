// One fuzz target in its own process (started by scripts/fuzz/fuzz.js with a heap limit). It first runs every
// seed unmutated (each must parse: a seed the parser refuses fuzzes nothing), then mutates seeds until its time is
// up. Each input is written to <work>/input before it runs, so the parent can keep it when this process hangs or
// dies. An error that is not a bertnode error (a BertnodeError, or a `code` starting ERR_BERTNODE) is a crash:
// the input is saved under the crashes folder, once per distinct error, and reported.
'use strict';
require('../../test/ts-register.js');
const fs = require('node:fs');
const path = require('node:path');
const { BertnodeError } = require('../../lib/errors.ts');
const { mulberry32 } = require('../../lib/data/random.ts');
const { Mutator, mutate } = require('./mutate.js');
const { TARGETS } = require('./targets.js');
const extraTargets = process.env.BERTNODE_FUZZ_EXTRA_TARGETS;

const [name, secondsArg, seedArg, work, crashes, rssLimitArg] = process.argv.slice(2);
const targets = extraTargets ? [...TARGETS, ...require(path.resolve(extraTargets)).TARGETS] : TARGETS;
const target = targets.find((t) => t.name === name);
const seconds = Number(secondsArg);
const rssLimit = Number(rssLimitArg);
const HEARTBEAT_MS = 100;

function isTyped(e) {
  return e instanceof BertnodeError || (typeof e?.code === 'string' && e.code.startsWith('ERR_BERTNODE'));
}

// The first line of the message with numbers and quoted names blanked, plus the innermost frame in the package:
// inputs that fail the same way share it.
function signature(e) {
  const message = String(e?.message ?? e).split('\n')[0].replace(/\d+/g, 'N').replace(/'[^']*'/g, "'…'").slice(0, 120);
  const frame = String(e?.stack ?? '').split('\n').find((l) => /\/(lib|scripts)\//.test(l)) ?? '';
  return `${e?.name ?? typeof e}: ${message} @ ${frame.trim().replace(/:\d+\)$/, ')')}`;
}

function saveCrash(input, kind, detail) {
  fs.mkdirSync(crashes, { recursive: true });
  const id = require('node:crypto').createHash('sha1').update(input).digest('hex').slice(0, 12);
  const file = path.join(crashes, `${name}-${id}`);
  fs.writeFileSync(file, input);
  fs.writeFileSync(`${file}.txt`, `${kind}\n${detail}\n`);
  return file;
}

async function main() {
  const seedDir = path.join(__dirname, 'seeds', target.seeds ?? target.name);
  const seeds = fs.readdirSync(seedDir).sort().map((f) => ({ file: f, bytes: fs.readFileSync(path.join(seedDir, f)) }));
  const inputFile = path.join(work, 'input');
  const scratch = path.join(work, 'scratch');
  fs.mkdirSync(scratch, { recursive: true });
  const stats = { target: name, inputs: 0, typedErrors: 0, parsed: 0, crashes: [], seedFailures: [], maxRssMiB: 0 };
  const seen = new Set();
  let lastBeat = 0;
  process.send({ type: 'ready' });

  const runOne = async (input) => {
    fs.writeFileSync(inputFile, input);
    let error;
    try {
      await target.run(inputFile, scratch);
    } catch (e) {
      error = e;
    }
    if (Date.now() - lastBeat > HEARTBEAT_MS) {
      lastBeat = Date.now();
      process.send({ type: 'beat', inputs: stats.inputs });
    }
    const rss = process.memoryUsage().rss;
    stats.maxRssMiB = Math.max(stats.maxRssMiB, Math.round(rss / 2 ** 20));
    if (rss > rssLimit) {
      stats.crashes.push({ kind: 'rss', signature: `RSS ${Math.round(rss / 2 ** 20)} MiB`, file: saveCrash(input, 'rss', `${rss} bytes`) });
      await new Promise(() => process.send({ type: 'stats', stats }, () => process.exit(3)));
    }
    return error;
  };

  for (const seed of seeds) {
    const error = await runOne(seed.bytes);
    if (error !== undefined) stats.seedFailures.push(`${seed.file}: ${String(error.message ?? error).slice(0, 200)}`);
  }

  const random = mulberry32(Number(seedArg));
  const mutator = new Mutator(random);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const base = seeds[mutator.int(seeds.length)].bytes;
    const other = seeds[mutator.int(seeds.length)].bytes;
    const input = mutate(mutator, target.mutate, base, other);
    const error = await runOne(input);
    stats.inputs++;
    if (error === undefined) stats.parsed++;
    else if (isTyped(error)) stats.typedErrors++;
    else {
      const sig = signature(error);
      if (!seen.has(sig)) {
        seen.add(sig);
        stats.crashes.push({ kind: 'untyped', signature: sig, file: saveCrash(input, 'untyped error', `${sig}\n\n${error?.stack ?? error}`) });
      }
    }
  }
  process.send({ type: 'stats', stats }, () => process.exit(0));
}

if (!target) {
  console.error(`unknown fuzz target '${name}'`);
  process.exit(2);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
