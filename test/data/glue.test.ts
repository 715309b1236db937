import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { GLUE_TASKS, readGlue, type GlueExample, type GlueSplit, type GlueTask } from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';
import { TASKDATA, taskFixture } from './task-fixtures';

const { files } = taskFixture<{ files: Record<string, { task: GlueTask; split: GlueSplit; setName: string; examples: Array<Omit<GlueExample, 'source'>> }> }>('glue.json');

describe('GLUE TSV files vs transformers\' GLUE processors (quoting off)', () => {
  it.each(Object.entries(files))('%s', async (name, expected) => {
    const file = path.join(TASKDATA, name);
    const examples = await readGlue(file, expected.task, { split: expected.split, setName: expected.setName });
    expect(examples.map(({ source: _source, ...rest }) => rest)).toEqual(expected.examples);
    // Sources point at the physical line: one header line except in CoLA's train/dev files.
    const firstLine = expected.task === 'cola' && expected.split !== 'test' ? 1 : 2;
    expect(examples[0].source).toBe(`${file}:${firstLine}`);
  });

  it('covers every task with its label list', () => {
    expect(new Set(Object.values(files).map((f) => f.task))).toEqual(new Set(Object.keys(GLUE_TASKS)));
    expect(GLUE_TASKS.mnli.labels).toEqual(['contradiction', 'entailment', 'neutral']);
    expect(GLUE_TASKS.stsb.labels).toBeNull();
  });
});

describe('GLUE errors name the file and line', () => {
  function file(name: string, content: string): string {
    const target = path.join(tempDir(), name);
    writeFileSync(target, content);
    return target;
  }

  it('a label outside the task\'s list, a bad STS-B score, too few columns, an empty file', async () => {
    const rte = file('rte.tsv', 'index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\tneutral\n');
    await expect(readGlue(rte, 'rte')).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL', line: 3, file: rte });
    const stsb = file('stsb.tsv', `h\n${'x\t'.repeat(9)}high\n`);
    await expect(readGlue(stsb, 'stsb')).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL', line: 2 });
    const mnli = file('mnli.tsv', 'header\n0\tonly\tthree\n');
    await expect(readGlue(mnli, 'mnli')).rejects.toThrow(`${mnli}:2: 3 tab-separated columns, GLUE mnli files have at least 10`);
    await expect(readGlue(file('empty.tsv', 'sentence\tlabel\n'), 'sst2')).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY' });
    await expect(readGlue(rte, 'boolq' as GlueTask)).rejects.toThrow(/unknown GLUE task 'boolq'/);
  });

  it('keeps quotes and reads CRLF files', async () => {
    const sst2 = file('sst2.tsv', 'sentence\tlabel\r\n"it \'s a "charming" film\t1\r\n');
    expect(await readGlue(sst2, 'sst2')).toMatchObject([{ id: 'train-1', text: '"it \'s a "charming" film', label: 1 }]);
  });
});
