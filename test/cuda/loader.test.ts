// lib/native/cuda.ts's probe of the CUDA addon named by BERTNODE_CUDA_ADDON, on any machine: a relative path is
// taken from the working directory, and a file that cannot be loaded is refused with the loader's own message
// (not the tail of a Node crash report). Each case probes a fresh copy of the module (the answer is cached per
// process).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CudaAvailability } from '../../lib/native/cuda';
import { availability } from './cuda-env';

function probeWith(addon: string): CudaAvailability {
  const saved = process.env.BERTNODE_CUDA_ADDON;
  process.env.BERTNODE_CUDA_ADDON = addon;
  try {
    let result: CudaAvailability | undefined;
    jest.isolateModules(() => {
      result = (require('../../lib/native/cuda') as typeof import('../../lib/native/cuda')).cudaAvailability();
    });
    return result as CudaAvailability;
  } finally {
    if (saved === undefined) delete process.env.BERTNODE_CUDA_ADDON;
    else process.env.BERTNODE_CUDA_ADDON = saved;
  }
}

// Whatever the addon answers here (a GPU, an emulated device, or "no usable CUDA device"), the relative path must
// get the same answer as the absolute one; skipped where no CUDA addon is built.
(fs.existsSync(availability.addonPath) ? test : test.skip)(
  'a relative BERTNODE_CUDA_ADDON is resolved against the working directory', () => {
    const relative = path.relative(process.cwd(), availability.addonPath);
    expect(path.isAbsolute(relative)).toBe(false);
    const viaRelative = probeWith(relative);
    expect(viaRelative.addonPath).toBe(availability.addonPath);
    expect(viaRelative.available).toBe(availability.available);
    expect(viaRelative.reason).toBe(availability.reason);
  });

test('a file that is not an addon is refused with the loader\'s message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-cuda-loader-'));
  try {
    const broken = path.join(dir, 'bertnode_cuda.node');
    fs.writeFileSync(broken, 'not a shared library');
    const result = probeWith(broken);
    expect(result.available).toBe(false);
    expect(result.reason).toContain(`the CUDA addon ${broken} failed to load: `);
    // dlopen's own words, e.g. "invalid ELF header" or "file too short".
    expect(result.reason).toMatch(/ELF|too short|shared object/i);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
