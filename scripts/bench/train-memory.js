#!/usr/bin/env node
// Native memory of one training step: the model's nativeBytes() (parameters, gradients, optimizer state, the
// activation arena) after one trainStep on random weights, bench-train's shapes and recipes. Prints one JSON line
// {metric, nativeMiB, loss}; the loss lets two builds be checked for the same numbers while their memory differs.
//
// Usage: node scripts/bench/train-memory.js [--model bert-base|minilm-l6] [--recipe full|classic] [--batch 32]
//   [--seq 128] [--precision fp32|bf16]   (needs dist/: npm run build:ts)
'use strict';
const common = require('./common');

async function main() {
  const modelName = common.option('model', 'bert-base');
  const recipeName = common.option('recipe', 'full');
  const B = Number(common.option('batch', '32'));
  const T = Number(common.option('seq', '128'));
  const precision = common.option('precision', 'bf16');
  const config = common.MODELS[modelName];
  if (!config) throw new Error(`unknown --model ${modelName}: expected ${Object.keys(common.MODELS).join(' or ')}`);
  const { NativeBert } = common.loadPackage();
  const model = NativeBert.create(config, { ...common.recipe(recipeName, config), precision });
  try {
    common.initialise(model);
    const { batch, labels } = common.makeBatch(B, T, config.vocabSize);
    const result = await model.trainStep(batch, labels,
      { lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1, step: 1 });
    common.emit({ metric: `train_memory.${recipeName}.${modelName}.B${B}.T${T}.${precision}`,
      nativeMiB: Math.round(model.nativeBytes() / 2 ** 20), loss: result.loss });
  } finally {
    model.dispose();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
