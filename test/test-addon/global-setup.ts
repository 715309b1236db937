// globalSetup of the jest project 'unit' (jest.config.js): builds the test-only addon (native/test-addon/build.js,
// cached by content, so only the first run after a change compiles) and hands its path to the test processes
// through BERTNODE_TEST_ADDON. A failed build does not stop the suite: the test files that need the test addon fail
// with its error. (npm run test:asan sets BERTNODE_TEST_ADDON itself, to the sanitizer build: test/asan/run.js.)
import { buildAddons } from '../../native/test-addon/build';

export default async function globalSetup(): Promise<void> {
  try {
    process.env.BERTNODE_TEST_ADDON = (await buildAddons()).test;
  } catch (e) {
    process.env.BERTNODE_TEST_ADDON_BUILD_ERROR = (e as Error).message.slice(0, 8000);
  }
}
