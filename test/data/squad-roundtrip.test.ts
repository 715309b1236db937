// The SQuAD features and run_qa's post-processing fit together: logits that point exactly at the training
// features' start/end positions (or at [CLS] where the window holds no answer) must come back, through the
// validation features' offsets, as the gold answers (SQuAD 2.0: '' for the unanswerable questions), so the official
// score is 100. A wrong window, offset or position anywhere breaks this.
import * as path from 'node:path';
import { readSquad, squadTrainFeatures, squadValidationFeatures } from '../../lib/data';
import { normalizeAnswer, postprocessQaPredictions, squadV2Score } from '../../lib/metrics';
import { fixtureTokenizer, TASKDATA } from './task-fixtures';

test.each([[384, 128], [96, 24], [40, 8]])('maxLength %i, stride %i: peaked logits → gold answers → exact 100', async (maxLength, stride) => {
  const tokenizer = fixtureTokenizer();
  const examples = await readSquad(path.join(TASKDATA, 'squad', 'dev-v2.0.json'));
  const train = squadTrainFeatures(tokenizer, examples, { maxLength, stride });
  const validation = squadValidationFeatures(tokenizer, examples, { maxLength, stride });
  expect(validation.map((f) => f.exampleIndex)).toEqual(train.map((f) => f.exampleIndex));
  const peaked = (position: number, length: number): Float32Array => Float32Array.from({ length }, (_, k) => (k === position ? 10 : 0));
  const startLogits = train.map((f) => peaked(f.startPosition, f.inputIds.length));
  const endLogits = train.map((f) => peaked(f.endPosition, f.inputIds.length));
  const { predictions } = postprocessQaPredictions(examples, validation, startLogits, endLogits, { version2WithNegative: true });
  examples.forEach((example, index) => {
    const predicted = predictions.get(example.id)!;
    if (example.answers.text.length === 0) {
      expect([example.id, predicted]).toEqual([example.id, '']);
      return;
    }
    // Every window holding the answer spans the same characters, which cover the answer (a span starting or
    // ending inside a word gets the whole word), and that is the text predicted.
    const answerStart = example.answers.answerStart[0];
    const answerEnd = answerStart + example.answers.text[0].length;
    const spans = new Set<string>();
    train.forEach((feature, f) => {
      if (feature.exampleIndex !== index || feature.startPosition === 0) return;
      const offsets = validation[f].offsetMapping;
      const [from, to] = [offsets[feature.startPosition]![0], offsets[feature.endPosition]![1]];
      expect(from <= answerStart && to >= answerEnd).toBe(true);
      spans.add(example.context.slice(from, to));
    });
    expect([example.id, [...spans]]).toEqual([example.id, [predicted]]);
  });
  // Two hand-picked answers do not start and end on token boundaries, and run_qa's labels widen them to whole
  // tokens: 'usée d' (inside a word) → 'Musée d', ' in 1986, ' (starting at a space: the token before it starts the
  // span) → 'reopened in 1986, after'. Every other answer comes back exactly.
  expect(normalizeAnswer(predictions.get('mid')!)).toBe('musée d');
  expect(predictions.get('spaces')).toBe('reopened in 1986, after');
  const wordAligned = examples.filter((e) => e.id !== 'mid' && e.id !== 'spaces');
  const score = squadV2Score(wordAligned.map((e) => ({ id: e.id, predictionText: predictions.get(e.id)!, noAnswerProbability: 0 })),
    wordAligned.map((e) => ({ id: e.id, answers: e.answers.text })));
  expect(score.exact).toBe(100);
});
