// Run only by `npm run test:asan` (test/asan/jest.config.js): proves the suite really runs under the sanitizers —
// the ASan runtime is in the process, and the addons lib/native and the tests load are the instrumented builds —
// so a green run cannot come from the ordinary addons.
import * as fs from 'fs';
import { loadBackend } from '../../lib/native';
import { loadTestAddon } from '../test-addon/load';

test('the ASan runtime and the sanitizer builds of both addons are loaded', () => {
  loadBackend('cpu');
  loadTestAddon();
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  expect(maps).toMatch(/libasan\.so/);
  expect(maps).toContain(process.env.BERTNODE_ASAN_ADDON);
  expect(maps).toContain(process.env.BERTNODE_TEST_ADDON);
  expect(maps).toMatch(/libubsan\.so/);
});
