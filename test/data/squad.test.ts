import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readSquad, squadTrainFeatures, squadValidationFeatures, type SquadExample } from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';
import { fixtureTokenizer, TASKDATA, taskFixture } from './task-fixtures';

interface SquadFixture {
  examples: Array<{ id: string; title: string; context: string; question: string; answers: { text: string[]; answer_start: number[] } }>;
  settings: Array<{
    maxLength: number; stride: number;
    train: Array<{ exampleIndex: number; inputIds: number[]; tokenTypeIds: number[]; startPosition: number; endPosition: number }>;
    validation: Array<{ exampleId: string; inputIds: number[]; offsetMapping: Array<[number, number] | null> }>;
  }>;
}

const fixture = taskFixture<SquadFixture>('squad.json');
const file = path.join(TASKDATA, 'squad', 'dev-v2.0.json');

describe('SQuAD JSON', () => {
  it('reads one example per question as datasets\' squad_v2 loader does (unanswerable: no answers)', async () => {
    const examples = await readSquad(file);
    expect(examples.map((e) => ({ id: e.id, title: e.title, context: e.context, question: e.question,
      answers: { text: e.answers.text, answer_start: e.answers.answerStart } }))).toEqual(fixture.examples);
    expect(examples[0].source).toBe(`${file}#data[0].paragraphs[0].qas[0]`);
  });

  it('reports syntax errors with their line and structure errors with their JSON path', async () => {
    const dir = tempDir();
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"data": [\n  {"title": "t",\n   "paragraphs": [}\n]}');
    await expect(readSquad(broken)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 3 });
    const noContext = path.join(dir, 'shape.json');
    writeFileSync(noContext, JSON.stringify({ data: [{ title: 't', paragraphs: [{ qas: [] }] }] }));
    await expect(readSquad(noContext)).rejects.toThrow(`${noContext}: data[0].paragraphs[0]: "context" is missing`);
    const badStart = path.join(dir, 'start.json');
    writeFileSync(badStart, JSON.stringify({ data: [{ paragraphs: [{ context: 'abc', qas: [{ id: 'q', question: '?', answers: [{ text: 'x', answer_start: 9 }] }] }] }] }));
    await expect(readSquad(badStart)).rejects.toThrow(/answers\[0\]: answer_start 9 is not a position in the context \(3 characters\)/);
    await expect(readSquad(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_NOT_FOUND' });
    await expect(readSquad(badStart, { maxBytes: 10 })).rejects.toThrow(/more than maxBytes/);
  });
});

describe('SQuAD features vs run_qa\'s prepare_train_features / prepare_validation_features', () => {
  const tokenizer = fixtureTokenizer();
  let examples: SquadExample[];
  beforeAll(async () => {
    examples = await readSquad(file);
  });

  it.each(fixture.settings.map((s) => [s.maxLength, s.stride, s] as const))('maxLength %i, stride %i', (maxLength, stride, setting) => {
    const train = squadTrainFeatures(tokenizer, examples, { maxLength, stride });
    expect(train.map((f) => ({ exampleIndex: f.exampleIndex, inputIds: f.inputIds, tokenTypeIds: f.tokenTypeIds, startPosition: f.startPosition, endPosition: f.endPosition })))
      .toEqual(setting.train);
    const validation = squadValidationFeatures(tokenizer, examples, { maxLength, stride });
    expect(validation.map((f) => ({ exampleId: f.exampleId, inputIds: f.inputIds, offsetMapping: f.offsetMapping }))).toEqual(setting.validation);
    // The fixture must exercise windows and answers outside them, or it proves little.
    expect(train.length).toBeGreaterThan(examples.length);
    expect(train.some((f) => f.startPosition > 0)).toBe(true);
    expect(train.some((f, i) => f.startPosition === 0 && examples[f.exampleIndex].answers.text.length > 0 && i >= 0)).toBe(true);
  });

  it('refuses a stride that leaves a window no progress and a question that fills maxLength (HF panics there)', () => {
    const example: SquadExample = { id: 'q', title: '', context: 'a b c d e f g h i j k l', question: 'what?', answers: { text: [], answerStart: [] }, source: 'x' };
    expect(() => squadTrainFeatures(tokenizer, [example], { maxLength: 9, stride: 4 })).toThrow(/stride 4 must be below the 4 context tokens/);
    expect(() => squadTrainFeatures(tokenizer, [example], { maxLength: 5, stride: 0 })).toThrow(/leaves no room for its context/);
    expect(squadTrainFeatures(tokenizer, [example], { maxLength: 9, stride: 2 }).map((f) => f.inputIds.slice(4, 8)))
      .toEqual([[1037, 1038, 1039, 1040], [1039, 1040, 1041, 1042], [1041, 1042, 1043, 1044], [1043, 1044, 1045, 1046], [1045, 1046, 1047, 1048]]);
  });
});
