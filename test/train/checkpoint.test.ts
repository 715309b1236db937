import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointError } from '../../lib/errors';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../../lib/train';

let tmp: string;
beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-ckpt-'));
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

test('round trip of nested values, Maps, typed arrays of several dtypes and non-finite numbers', async () => {
  const value = {
    a: 1, s: 'x', nan: NaN, inf: -Infinity, list: [Int32Array.from([1, -2]), null],
    m: new Map<string, ArrayBufferView>([['w', Float32Array.from([0.1, 0.2, 0.3])], ['u', new Uint8Array([1, 2, 3])]]),
    d: Float64Array.from([Math.PI]),
  };
  await saveCheckpoint(tmp, 'one', value);
  const { value: back } = await loadCheckpoint(tmp);
  expect(back).toEqual(value);
  expect(await hasCheckpoint(tmp)).toBe(true);
  expect(await hasCheckpoint(path.join(tmp, 'missing'))).toBe(false);
});

test('latest.json moves to the newest save; older ones are pruned to `keep`', async () => {
  await saveCheckpoint(tmp, 'c1', { i: 1 });
  await saveCheckpoint(tmp, 'c2', { i: 2 }, { keep: 2 });
  await saveCheckpoint(tmp, 'c3', { i: 3 }, { keep: 2 });
  expect((await loadCheckpoint(tmp)).value).toEqual({ i: 3 });
  expect((await fsp.readdir(tmp)).sort()).toEqual(['c2', 'c3', 'latest.json']);
  expect((await loadCheckpoint(path.join(tmp, 'c2'))).value).toEqual({ i: 2 });
});

test('a flipped byte or a truncated data file is reported as corrupt, a missing one as missing', async () => {
  const dir = await saveCheckpoint(tmp, 'c', { w: new Float32Array(64).fill(1) });
  const file = path.join(dir, 'data.bin');
  const bytes = await fsp.readFile(file);
  bytes[17] ^= 1;
  await fsp.writeFile(file, bytes);
  await expect(loadCheckpoint(tmp)).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_CORRUPT' });
  await fsp.writeFile(file, bytes.subarray(0, 10));
  await expect(loadCheckpoint(tmp)).rejects.toBeInstanceOf(CheckpointError);
  await expect(loadCheckpoint(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_MISSING' });
});

// Kills a child with SIGKILL at several moments inside a save. Every time, the latest checkpoint must load, pass its
// checksum and be one the child finished (the one it announced, or the next if the kill came after the switch).
test('kill -9 in the middle of a save leaves the previous checkpoint intact', async () => {
  let interruptedMidSave = 0;
  for (const delayMs of [0, 5, 15, 40, 80]) {
    const root = path.join(tmp, `run-${delayMs}`);
    const child = spawn(process.execPath, [path.join(__dirname, 'checkpoint-child.js'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lastSaved = await killDuringSecondSave(child, root, delayMs);
    const leftovers = (await fsp.readdir(root)).filter((e) => e.startsWith('.tmp-'));
    if (leftovers.length > 0) interruptedMidSave++;
    const { value } = (await loadCheckpoint(root)) as { value: { index: number; data: Float32Array } };
    expect([lastSaved, lastSaved + 1]).toContain(value.index);
    expect(value.data.every((x) => x === value.index)).toBe(true);
    // The next save clears the dead process's temporary files.
    await saveCheckpoint(root, 'after', { ok: true });
    expect((await fsp.readdir(root)).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  }
  // At least one kill must have landed inside a save, or this test proved nothing.
  expect(interruptedMidSave).toBeGreaterThan(0);
}, 60000);

function killDuringSecondSave(child: ChildProcess, root: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let lastSaved = -1;
    let buffered = '';
    child.on('error', reject);
    child.on('exit', () => resolve(lastSaved));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [what, n] = line.split(' ');
        if (what === 'saved') lastSaved = Number(n);
        if (what === 'saving' && Number(n) === 1) killOnceSaveIsUnderWay(child, root, delayMs);
      }
    });
  });
}

// The delay counts from the moment the save's temporary directory exists, not from the child's "saving" line: on a
// loaded machine that line could reach this process after the whole save was done, and no kill landed mid-save.
function killOnceSaveIsUnderWay(child: ChildProcess, root: string, delayMs: number): void {
  const poll = (): void => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (fs.readdirSync(root).some((e) => e.startsWith('.tmp-'))) setTimeout(() => child.kill('SIGKILL'), delayMs);
    else setImmediate(poll);
  };
  poll();
}
