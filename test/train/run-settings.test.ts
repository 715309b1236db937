// What the engine contributes to a checkpoint's recorded settings, and which changes a resume accepts: a CPU model
// records its kernel family (each vector width sums in its own order), and a checkpoint moved to a CPU of another
// family resumes with a warning, like a device change, while a change of any other recorded setting is refused.
import { ResumeSettingsError } from '../../lib/errors';
import { NativeBert, cpuKernelFamily } from '../../lib/native';
import { checkResumeSettings, nativeRunSettings } from '../../lib/train/run-settings';

const CONFIG = {
  vocabSize: 12, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
  maxPositionEmbeddings: 32, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
};

test('a CPU model records its device, kernel family, precision and head', () => {
  const model = NativeBert.create(CONFIG, { head: 'cls', trainableLayers: 1, device: 'cpu' });
  try {
    const settings = nativeRunSettings(model);
    expect(['avx512', 'avx2', 'scalar']).toContain(cpuKernelFamily());
    expect(settings).toMatchObject({ device: 'cpu', cpuKernels: cpuKernelFamily(), precision: 'fp32', head: 'cls' });
  } finally {
    model.dispose();
  }
});

// The problem type is recorded when it is not single-label, so a single-label checkpoint written before it was
// recorded has the same settings as one written now.
test('a sequence-classification model records a multi-label or regression problem type', () => {
  const record = (problemType?: 'single_label_classification' | 'multi_label_classification' | 'regression') => {
    const model = NativeBert.create({ ...CONFIG, numLabels: problemType === 'regression' ? 1 : 2 }, { head: 'pooler', problemType, trainableLayers: 1, device: 'cpu' });
    try {
      return nativeRunSettings(model);
    } finally {
      model.dispose();
    }
  };
  expect(record()).not.toHaveProperty('problemType');
  expect(record('single_label_classification')).not.toHaveProperty('problemType');
  expect(record('multi_label_classification')).toMatchObject({ problemType: 'multi_label_classification' });
  expect(record('regression')).toMatchObject({ problemType: 'regression' });
});

// A bf16 model records the family of its bf16 GEMMs ('amx' on CPUs with AMX-BF16), not the fp32 one.
const bf16Family = cpuKernelFamily('bf16');
(bf16Family === 'none' ? test.skip : test)('a bf16 CPU model records the bf16 kernel family', () => {
  const model = NativeBert.create(CONFIG, { head: 'cls', trainableLayers: 1, device: 'cpu', precision: 'bf16' });
  try {
    expect(['amx', 'avx512bf16']).toContain(bf16Family);
    expect(nativeRunSettings(model)).toMatchObject({ cpuKernels: bf16Family, precision: 'bf16' });
  } finally {
    model.dispose();
  }
});

describe('resuming with the engine settings of another machine', () => {
  const recorded = { device: 'cpu', cpuKernels: 'avx2', precision: 'fp32', head: 'cls' };
  let warnings: { message: string; code?: string }[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    warnings = [];
    spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string, o?: { code?: string }) => {
      warnings.push({ message, code: o?.code });
    }) as typeof process.emitWarning);
  });
  afterEach(() => spy.mockRestore());

  test('another CPU kernel family continues with a warning that says the run is no longer bit for bit', () => {
    checkResumeSettings('checkpoint-5', recorded, { ...recorded, cpuKernels: 'avx512' }, []);
    expect(warnings).toEqual([expect.objectContaining({ code: 'BERTNODE_RESUME_SETTING_CHANGED',
      message: expect.stringMatching(/cpuKernels "avx512" instead of "avx2".*float32 rounding, not bit for bit/) })]);
  });

  test('another precision is refused, naming the setting and both values', () => {
    expect(() => checkResumeSettings('checkpoint-5', recorded, { ...recorded, precision: 'bf16' }, []))
      .toThrow(ResumeSettingsError);
    expect(() => checkResumeSettings('checkpoint-5', recorded, { ...recorded, precision: 'bf16' }, []))
      .toThrow(/precision: checkpoint "fp32", now "bf16"/);
    expect(warnings).toEqual([]);
  });

  test('the same settings resume silently', () => {
    checkResumeSettings('checkpoint-5', recorded, { ...recorded }, []);
    expect(warnings).toEqual([]);
  });
});
