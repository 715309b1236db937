// Lets a plain `node` child process require the TypeScript sources directly (transpile only, no type check), so
// tests that need a separate process (to kill it, to measure its memory alone) do not depend on a compiled dist/.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
