// Whole-model finite-difference probe: the analytic gradient of one parameter's largest-gradient entry against the
// central difference of forward(loss), through nothing but the public model API.
import type { Batch, Labels, NativeBert } from '../../../lib/native';

// The loss is computed in fp32 (rounding ~1e-7 of a loss ~1), so the step cannot be tiny: h = 1e-2 makes the
// rounding term ~1e-5 and the O(h²) truncation of the central difference ~1e-5 for these smooth functions. The
// perturbed value itself is rounded to fp32, so the difference divides by the step that was actually taken.
// 2e-3 relative to the entry's gradient plus 2e-5 absolute covers both error terms with margin; a wrong backward
// (missing term, transposed weight) is off by tens of percent. Measured: at most 2.4e-4 relative.
export async function expectFiniteDifferenceAgrees(model: NativeBert, name: string, batch: Batch, labels: Labels): Promise<void> {
  await model.accumulateGradients(batch, labels, { scale: 1 });
  const grad = model.getGradient(name) as Float32Array;
  let index = 0;
  for (let i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[index])) index = i;
  const original = model.getParameter(name);
  const lossAt = async (value: number): Promise<{ loss: number; taken: number }> => {
    const data = original.slice();
    data[index] = value;
    model.setParameter(name, data);
    return { loss: (await model.forward(batch, { labels })).loss as number, taken: data[index] };
  };
  const h = 1e-2;
  const plus = await lossAt(original[index] + h);
  const minus = await lossAt(original[index] - h);
  const numeric = (plus.loss - minus.loss) / (plus.taken - minus.taken);
  expect(Math.abs(numeric - grad[index])).toBeLessThanOrEqual(2e-3 * Math.abs(grad[index]) + 2e-5);
  expect(Math.abs(grad[index])).toBeGreaterThan(1e-3); // the probe is a real signal, not noise
}
