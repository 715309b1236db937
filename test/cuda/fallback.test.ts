// Where CUDA cannot be used (no CUDA build, or no GPU — as on CI), asking for it must fail clearly and 'auto' must
// fall back to the CPU with a warning that says why. Skipped where a usable GPU is present.
import { NativeBert } from '../../lib/native/native-bert';
import { NativeError } from '../../lib/errors';
import * as fs from 'fs';
import { cudaAddonPath, resolveDevice } from '../../lib/native/cuda';
import { config } from './bert-fixture';
import { availability } from './cuda-env';

const describeWithoutGpu = availability.available ? describe.skip : describe;

describeWithoutGpu('without a usable GPU', () => {
  // CI builds the CUDA addon before the tests (.ci/run): there it must load in the probe's child process and answer
  // its probe, so the only reason left for not using it is the missing GPU.
  (fs.existsSync(cudaAddonPath()) ? test : test.skip)('a built CUDA addon loads and answers its probe', () => {
    expect(availability.probe?.builtWithCuda).toBe(true);
    expect(availability.reason).toMatch(/^no (usable )?CUDA device/);
  });

  test("device: 'cuda' throws ERR_BERTNODE_NO_CUDA with the reason", () => {
    let error: unknown;
    try {
      NativeBert.create(config, { device: 'cuda' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeError);
    expect((error as NativeError).code).toBe('ERR_BERTNODE_NO_CUDA');
    expect((error as NativeError).message).toContain(availability.reason as string);
  });

  test("resolveDevice('auto') picks the CPU and warns once, saying why", () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(resolveDevice('auto')).toBe('cpu');
      expect(resolveDevice('auto')).toBe('cpu');
      expect(resolveDevice('cpu')).toBe('cpu');
      expect(emitWarning).toHaveBeenCalledTimes(1);
      const [message, options] = emitWarning.mock.calls[0] as [string, { code: string }];
      expect(options.code).toBe('BERTNODE_CUDA_FALLBACK');
      expect(message).toContain(availability.reason as string);
    } finally {
      emitWarning.mockRestore();
    }
  });
});
