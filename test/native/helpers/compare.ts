// Numeric comparison for golden tests. The error measure is max |actual - expected| divided by max |expected| over
// the tensor (a relative error at the tensor's scale): element-wise relative errors blow up on entries that are
// near zero by chance, which says nothing about the implementation.
export interface Comparison {
  maxAbsError: number;
  scale: number;
  relError: number;
  worstIndex: number;
}

export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} differs from the expected ${expected.length}`);
  }
  let maxAbsError = 0;
  let scale = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const d = Math.abs(actual[i] - e);
    if (!(d <= maxAbsError)) {
      maxAbsError = d;
      worstIndex = i;
    }
    scale = Math.max(scale, Math.abs(e));
  }
  return { maxAbsError, scale, relError: scale > 0 ? maxAbsError / scale : maxAbsError, worstIndex };
}

// Throws with the tensor name, the error and the worst element when the relative error exceeds `tolerance`.
export function expectClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>,
  tolerance: number): Comparison {
  const c = compareArrays(actual, expected);
  if (!(c.relError <= tolerance)) {
    throw new Error(`${label}: relative error ${c.relError.toExponential(3)} > ${tolerance} (max abs error ` +
      `${c.maxAbsError.toExponential(3)} at [${c.worstIndex}]: got ${actual[c.worstIndex]}, expected ` +
      `${expected[c.worstIndex]}; tensor scale ${c.scale.toExponential(3)})`);
  }
  return c;
}

export function expectScalarClose(label: string, actual: number, expected: number, tolerance: number): void {
  const rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
  if (!(rel <= tolerance)) {
    throw new Error(`${label}: got ${actual}, expected ${expected} (relative error ${rel.toExponential(3)} > ${tolerance})`);
  }
}
