// The documented surface: every option, result and event of the classifier and the training loop carries JSDoc
// (so the .d.ts and the generated reference explain it), and the README's code runs as written on every Node
// version package.json's `engines` allows (no `await using`, a SyntaxError before Node 24) and type-checks
// against the library.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');

// The options, results and events a user of BertClassifier and the training loop meets.
const PUBLIC_INTERFACES = [
  'ClassifierOptions', 'FitOptions', 'FitResult', 'Prediction', 'ExplainOptions', 'Explanation', 'ImdbSource', 'ImdbData',
  'TextExample', 'TrainOptions', 'EarlyStoppingOptions', 'ProgressEvent', 'EvaluationRecord', 'TrainResult',
  'TrainingHistory', 'StepRecord', 'EpochRecord', 'ClassificationMetrics', 'ClassMetrics', 'EvaluateOptions',
  'FrozenCacheOptions', 'AttentionReportOptions', 'ExplainedText', 'ExplainToken', 'RunReportInput',
  'MultiLabelPrediction', 'RegressionPrediction', 'MultiLabelMetrics', 'MultiLabelClassMetrics', 'RegressionMetrics', 'TargetExample',
];

const compilerOptions: ts.CompilerOptions = {
  strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Node10,
  noEmit: true, skipLibCheck: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'],
};

test('every property of the public options, results and events has JSDoc', () => {
  const entry = path.join(ROOT, 'lib', 'index.ts');
  const program = ts.createProgram([entry], compilerOptions);
  const checker = program.getTypeChecker();
  const exported = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)
    .map((s) => [s.name, s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s]));
  const undocumented: string[] = [];
  for (const name of PUBLIC_INTERFACES) {
    const symbol = exported.get(name);
    expect(symbol).toBeDefined();
    for (const decl of symbol!.declarations!.filter(ts.isInterfaceDeclaration)) {
      for (const member of decl.members) {
        const doc = ts.displayPartsToString(checker.getSymbolAtLocation(member.name!)!.getDocumentationComment(checker));
        if (doc.trim() === '') undocumented.push(`${name}.${member.name!.getText()}`);
      }
    }
  }
  expect(undocumented).toEqual([]);
  // The one the report asked about: validation says share or count.
  const fit = exported.get('FitOptions')!.declarations!.find(ts.isInterfaceDeclaration)!;
  const validation = fit.members.find((m) => m.name!.getText() === 'validation')!;
  expect(ts.displayPartsToString(checker.getSymbolAtLocation(validation.name!)!.getDocumentationComment(checker))).toMatch(/share.*count/s);
});

function readmeBlocks(): { lang: string; code: string }[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```(js|ts)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], code: m[2] }));
}

test("the README's code is valid JavaScript for this Node (an ES module, no `await using`) and type-checks against bertnode", () => {
  // Inside the repository's node_modules, so the examples that import other packages (transformers.js, beside the
  // ONNX export) resolve them as a user's project would.
  const cache = path.join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'bertnode-readme-'));
  try {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThan(0);
    blocks.forEach(({ code }, i) => {
      const file = path.join(dir, `example-${i}.mjs`);
      writeFileSync(file, code);
      execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' }); // throws with the SyntaxError
    });
    // The classifier examples (```js) against the library's own types, `bertnode` resolved to lib/.
    const files = blocks.filter((b) => b.lang === 'js').map(({ code }, i) => {
      const file = path.join(dir, `typed-${i}.mts`);
      writeFileSync(file, code.replace(/from 'bertnode'/g, `from '${path.join(ROOT, 'lib', 'index.js')}'`));
      return file;
    });
    const program = ts.createProgram(files, { ...compilerOptions, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 });
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => files.includes(d.file?.fileName ?? ''))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
