// A worker_threads Worker that ends with a model call in flight (process.exit() in the worker, or terminate() from
// the main thread) must not take the process with it: the call's completion arrives during the worker's teardown,
// when no JS can run, and is dropped (native/addon/promise_worker.h). Each case runs in a child process, so a crash
// shows as its exit signal instead of killing jest.
import { spawnSync } from 'child_process';
import * as path from 'path';

const child = path.join(__dirname, 'hostile', 'worker-exit-child.js');
// The binary the CPU loader resolves (under npm run test:asan, the sanitizer build); the child loads that one.
const addon = (require('node-gyp-build') as { path(dir: string): string }).path(path.resolve(__dirname, '..', '..'));

describe.each(['raw', 'native-bert'])('through %s', (api) => {
  test.each(['exit', 'terminate'])('a worker that ends by %s with trainStep in flight', (ending) => {
    const run = spawnSync(process.execPath, [child, addon, api, ending], { encoding: 'utf8', timeout: 60_000 });
    expect({ signal: run.signal, status: run.status, stderr: run.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
    expect(run.stdout).toContain(`worker exited with ${ending === 'exit' ? 0 : 1}`);
    expect(run.stdout).toContain('main thread alive');
  });
});
