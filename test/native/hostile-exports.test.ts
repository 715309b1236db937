// The production addon exports the model API and nothing a test or a benchmark alone needs (issue 10): the
// engine's gradchecks and the raw GEMM kernels, which take pointers-and-strides arguments that a model call never
// does, live in the test-only addon (native/test-addon), which `npm install` does not build.
import { loadBackend } from '../../lib/native';
import { loadTestAddon } from '../test-addon/load';

function exportedNames(object: object, prefix = ''): string[] {
  return Object.entries(object).flatMap(([name, value]) => (typeof value === 'object' && value !== null
    ? exportedNames(value as object, `${prefix}${name}.`) : [`${prefix}${name}`])).sort();
}

test('the production addon exports the model API only', () => {
  expect(exportedNames(loadBackend('cpu'))).toEqual(['BertModel', 'kernels.gemmActiveIsa', 'numThreads', 'parameterCatalogue']);
});

test('the test addon has the test entry points, on the same kernel family', () => {
  const testAddon = loadTestAddon();
  expect(exportedNames(testAddon)).toEqual(['gradcheckOps', 'kernels.gemmActiveIsa', 'kernels.gemmBf16Available',
    'kernels.gemmBf16Isas', 'kernels.gemmIsas', 'kernels.sgemm', 'kernels.sgemmStridedBatched']);
  expect(testAddon.kernels.gemmActiveIsa()).toBe(loadBackend('cpu').kernels.gemmActiveIsa());
});
