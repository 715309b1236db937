#!/usr/bin/env node
// `npx bertnode <command> [flags]`: one entry point for the package's command lines. Each command is a script in
// scripts/ that reads its own flags; this file only picks it and hands it the rest of the command line.
'use strict';
const path = require('path');

const COMMANDS = {
  'finetune-imdb': { script: 'finetune-imdb.js', summary: 'fine-tune BERT on the IMDb reviews (the classic recipe by default)' },
  'finetune-glue': { script: 'finetune-glue.js', summary: 'fine-tune on a GLUE task (cola sst2 mrpc stsb qqp mnli qnli rte wnli)' },
  'finetune-ner': { script: 'finetune-ner.js', summary: 'fine-tune token tagging (NER) on CoNLL-style or JSONL files' },
  'finetune-squad': { script: 'finetune-squad.js', summary: 'fine-tune extractive QA on SQuAD v1.1 / v2.0 JSON' },
  'finetune-swag': { script: 'finetune-swag.js', summary: 'fine-tune multiple choice on SWAG-style CSV' },
  'pretrain-mlm': { script: 'pretrain-mlm.js', summary: 'masked-LM (+ next-sentence) pre-training on raw text' },
};

function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: bertnode <command> [flags]   (bertnode <command> --help lists a command's flags)\n\ncommands:\n${lines.join('\n')}\n`;
}

function main() {
  const [name, ...rest] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${require('../package.json').version}\n`);
    return;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`bertnode: unknown command '${name}'\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  // The script parses process.argv itself, as when run with node directly.
  process.argv = [process.argv[0], path.join(__dirname, '..', 'scripts', command.script), ...rest];
  require(process.argv[1]);
}

main();
