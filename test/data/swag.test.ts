import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSwag, swagFeatures } from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';
import { fixtureTokenizer, TASKDATA, taskFixture } from './task-fixtures';

const { cases } = taskFixture<{ cases: Array<{ maxLength: number; inputIds: number[][][]; tokenTypeIds: number[][][]; labels: number[] }> }>('swag.json');

describe('SWAG CSV and features vs run_swag\'s preprocess_function', () => {
  const tokenizer = fixtureTokenizer();

  it.each(cases.map((c) => [c.maxLength, c] as const))('maxLength %i', async (maxLength, c) => {
    const examples = await readSwag(path.join(TASKDATA, 'swag', 'train.csv'));
    const features = examples.map((e) => swagFeatures(tokenizer, e, { maxLength }));
    expect(features.map((f) => f.inputIds)).toEqual(c.inputIds);
    expect(features.map((f) => f.tokenTypeIds)).toEqual(c.tokenTypeIds);
    expect(features.map((f) => f.label)).toEqual(c.labels);
  });

  it('reads test files without labels and reports bad labels and missing columns with file and line', async () => {
    const dir = tempDir();
    const header = 'video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3';
    const test = path.join(dir, 'test.csv');
    writeFileSync(test, `${header}\nv,7,s,A man,He,gold,runs,sits,"eats, drinks",sleeps\n`);
    expect(await readSwag(test)).toMatchObject([{ id: '7', context: 'A man', questionHeader: 'He', endings: ['runs', 'sits', 'eats, drinks', 'sleeps'] }]);
    expect((await readSwag(test))[0].label).toBeUndefined();
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, `${header},label\nv,7,s,a,b,g,1,2,3,4,0\nv,8,s,a,b,g,1,2,3,4,4\n`);
    await expect(readSwag(bad)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL', line: 3 });
    const noEnding = path.join(dir, 'cols.csv');
    writeFileSync(noEnding, 'sent1,sent2,ending0\na,b,c\n');
    await expect(readSwag(noEnding)).rejects.toThrow(/no column 'ending1'/);
  });
});
