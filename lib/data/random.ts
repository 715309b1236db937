// Seeded randomness for splits and shuffles, small enough to re-implement anywhere (Python included):
//   mulberry32(seed): a = seed >>> 0; next(): a = (a + 0x6D2B79F5) | 0; t = imul(a ^ (a >>> 15), 1 | a);
//                     t = (t + imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 2**32
//   shuffle: Fisher–Yates from the end, for i = n-1 .. 1: j = floor(next() * (i + 1)), swap(i, j)
//   streamSeed(seed, stream): one round of the splitmix32 finaliser over seed + stream * 0x9E3779B9, so that
//                     epoch e (or any numbered stream) gets its own independent-looking sequence.

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function streamSeed(seed: number, stream: number): number {
  let z = (seed + Math.imul(stream, 0x9e3779b9)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

// Shuffles in place and returns the array.
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const held = items[i];
    items[i] = items[j];
    items[j] = held;
  }
  return items;
}
