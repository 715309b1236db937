#!/usr/bin/env node
// Mutation fuzzer for every parser of untrusted input (`npm run fuzz`; targets in scripts/fuzz/targets.js, seeds
// in scripts/fuzz/seeds, made by make-seeds.js). Each target runs in its own child process for a time budget,
// under three bounds:
//   memory  the child's V8 heap is capped (--max-old-space-size) and its RSS is watched (from /proc while it runs,
//           and by the child after each input); past the limit the input is a crash;
//   time    an input that runs longer than --input-timeout seconds is a hang: the child is killed, the input kept;
//   errors  an error that is not a bertnode error (lib/errors.ts, code ERR_BERTNODE_*) is a crash.
// Crashing inputs are saved under --crashes (default scripts/fuzz/crashes, git-ignored) with a .txt that says why;
// `--replay <file>` runs one saved input again. Exit status 1 when any target crashed, hung or refused a seed.
//
//   node scripts/fuzz/fuzz.js [--seconds 60] [--targets a,b] [--jobs 1] [--seed 1] [--input-timeout 10]
//                             [--heap-mib 512] [--rss-mib 1024] [--crashes DIR] [--json FILE] [--replay FILE]
// --seconds is per target; --jobs targets run at once.
'use strict';
const { spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function parseArgs(argv) {
  const o = { seconds: 60, targets: undefined, jobs: 1, seed: 1, inputTimeout: 10, heapMiB: 512, rssMiB: 1024,
    crashes: path.join(__dirname, 'crashes'), json: undefined, replay: undefined };
  const names = { '--seconds': 'seconds', '--targets': 'targets', '--jobs': 'jobs', '--seed': 'seed', '--input-timeout': 'inputTimeout',
    '--heap-mib': 'heapMiB', '--rss-mib': 'rssMiB', '--crashes': 'crashes', '--json': 'json', '--replay': 'replay' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || argv[i + 1] === undefined) throw new Error(`usage: see the top of ${__filename} (bad argument '${argv[i]}')`);
    o[key] = ['seconds', 'jobs', 'seed', 'inputTimeout', 'heapMiB', 'rssMiB'].includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  return o;
}

const STARTUP_LIMIT_MS = 300_000;

// Each target's PRNG seed comes from the run's seed and the target's name, so `--seed N --targets T` replays what
// target T did in a full run with seed N.
function targetSeed(seed, name) {
  return createHash('sha256').update(`${seed}:${name}`).digest().readUInt32LE(0);
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// Runs one target's worker; resolves with its stats, a hang, an RSS overrun or a death folded into them.
function runTarget(name, o) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `bertnode-fuzz-${name}-`));
  const args = [`--max-old-space-size=${o.heapMiB}`, path.join(__dirname, 'worker.js'),
    name, String(o.seconds), String(targetSeed(o.seed, name)), work, o.crashes, String(o.rssMiB * 2 ** 20)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  let stats;
  let inputs = 0;
  let lastBeat = Date.now();
  let killedFor;
  const started = Date.now();
  // The input time bound starts once the worker has loaded the parsers (slow on a busy machine, and not an input).
  let ready = false;
  child.on('message', (m) => {
    lastBeat = Date.now();
    if (m.type === 'ready') ready = true;
    if (m.type === 'beat') inputs = m.inputs;
    if (m.type === 'stats') stats = m.stats;
  });
  const watch = setInterval(() => {
    const rss = rssOf(child.pid);
    if (rss > o.rssMiB * 2 ** 20) killedFor = { kind: 'rss', signature: `RSS ${Math.round(rss / 2 ** 20)} MiB while running` };
    else if (ready && Date.now() - lastBeat > o.inputTimeout * 1000) killedFor = { kind: 'hang', signature: `no progress for ${o.inputTimeout} s` };
    else if (!ready && Date.now() - started > STARTUP_LIMIT_MS) killedFor = { kind: 'died', signature: 'did not start within 5 minutes' };
    if (killedFor) child.kill('SIGKILL');
  }, 100);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(watch);
      const result = stats ?? { target: name, inputs, typedErrors: 0, parsed: 0, crashes: [], seedFailures: [], maxRssMiB: 0 };
      const died = killedFor ?? (stats === undefined || code !== 0
        ? { kind: 'died', signature: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` } : undefined);
      if (died && !result.crashes.some((c) => c.kind === 'rss')) {
        const input = path.join(work, 'input');
        let file;
        if (fs.existsSync(input)) {
          fs.mkdirSync(o.crashes, { recursive: true });
          file = path.join(o.crashes, `${name}-${died.kind}-${Date.now().toString(36)}`);
          fs.copyFileSync(input, file);
          fs.writeFileSync(`${file}.txt`, `${died.kind}\n${died.signature}\n`);
        }
        result.crashes.push({ ...died, file });
      }
      result.seconds = Math.round((Date.now() - started) / 100) / 10;
      fs.rmSync(work, { recursive: true, force: true });
      resolve(result);
    });
  });
}

function loadTargets() {
  require('../../test/ts-register.js');
  return require('./targets.js');
}

async function replay(file) {
  const target = loadTargets().targetForFile(file);
  if (!target) throw new Error(`cannot tell the target from the name '${path.basename(file)}'`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-fuzz-replay-'));
  try {
    await target.run(file, work);
    console.log(`${target.name}: parsed without error`);
  } catch (e) {
    console.log(`${target.name}: ${e.code ?? e.name}: ${e.message}`);
    console.log(e.stack);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(r) {
  const bad = r.crashes.length + r.seedFailures.length;
  console.log(`${r.target.padEnd(18)} ${String(r.inputs).padStart(8)} inputs  ${String(r.parsed).padStart(7)} parsed  ` +
    `${String(r.typedErrors).padStart(8)} typed errors  max RSS ${r.maxRssMiB} MiB  ${r.seconds} s  ${bad === 0 ? 'ok' : 'FAILED'}`);
  for (const s of r.seedFailures) console.log(`  seed refused: ${s}`);
  for (const c of r.crashes) console.log(`  ${c.kind}: ${c.signature}${c.file ? `\n    input: ${c.file}` : ''}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.replay) return replay(o.replay);
  const names = o.targets ? o.targets.split(',') : loadTargets().TARGETS.map((t) => t.name);
  const results = new Array(names.length);
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const i = next++;
      results[i] = await runTarget(names[i], o);
      report(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, lane));
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ options: o, results }, null, 2));
  const failed = results.some((r) => r.crashes.length > 0 || r.seedFailures.length > 0);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
