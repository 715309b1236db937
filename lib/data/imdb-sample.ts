// A seeded, class-stratified sample of IMDb reviews chosen while the files are listed, so a quick run reads the
// bodies of a few hundred reviews instead of all 50,000. Each review gets a priority, a hash of (seed, its
// canonical path), which does not depend on the order the files are met in (folder and archive agree); each class
// keeps its `count` lowest priorities so far (at most `count` bodies held per class), and at the end the classes
// get stratified quotas of the split's `count` (split.ts) from how many reviews each had, and keep that many.

import { stratifiedQuotas } from './split';

export interface SampleCandidate {
  split: string;
  labelDir: string;
  relativePath: string;
}

interface Kept<T> {
  priority: number;
  item: T;
}

export class ImdbSampler<T extends SampleCandidate> {
  private readonly groups = new Map<string, { split: string; labelDir: string; seen: number; kept: Kept<T>[] }>();
  // A path an archive stores twice is one review (the later copy replaces the earlier, as on extraction).
  private readonly paths = new Set<string>();

  constructor(private readonly sizes: Readonly<Partial<Record<string, number>>>, private readonly seed: number) {}

  // Whether the review's split is sampled at all (other splits are read whole).
  samples(split: string): boolean {
    return this.sizes[split] !== undefined;
  }

  // Counts the review; true when it is, for now, among its class's lowest priorities, i.e. its body is wanted.
  offer(candidate: SampleCandidate): boolean {
    const key = `${candidate.split}/${candidate.labelDir}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { split: candidate.split, labelDir: candidate.labelDir, seen: 0, kept: [] }));
    if (this.paths.has(candidate.relativePath)) return group.kept.some((k) => k.item.relativePath === candidate.relativePath);
    this.paths.add(candidate.relativePath);
    group.seen++;
    const limit = this.sizes[candidate.split] ?? 0;
    if (group.kept.length < limit) return true;
    return limit > 0 && priorityOf(this.seed, candidate.relativePath) < group.kept[group.kept.length - 1].priority;
  }

  // Keeps a review offer() accepted (with its body, when read), dropping the class's highest priority beyond count.
  keep(item: T): void {
    const group = this.groups.get(`${item.split}/${item.labelDir}`)!;
    const priority = priorityOf(this.seed, item.relativePath);
    const copy = group.kept.findIndex((k) => k.item.relativePath === item.relativePath);
    if (copy >= 0) group.kept.splice(copy, 1);
    const at = group.kept.findIndex((k) => k.priority > priority);
    group.kept.splice(at < 0 ? group.kept.length : at, 0, { priority, item });
    if (group.kept.length > (this.sizes[item.split] ?? 0)) group.kept.pop();
  }

  // The sample: per split, each class's quota of its lowest priorities.
  result(): T[] {
    const out: T[] = [];
    for (const split of Object.keys(this.sizes)) {
      const groups = [...this.groups.values()].filter((g) => g.split === split).sort((a, b) => (a.labelDir < b.labelDir ? -1 : 1));
      const total = groups.reduce((s, g) => s + g.seen, 0);
      const quotas = stratifiedQuotas(groups.map((g) => g.seen), Math.min(this.sizes[split]!, total));
      groups.forEach((g, c) => out.push(...g.kept.slice(0, quotas[c]).map((k) => k.item)));
    }
    return out;
  }
}

// FNV-1a over the seed and the path, then a murmur3 finaliser so near-identical paths spread over [0, 2^32).
// Ties (a 2^-32 chance) fall to the path's position in the sorted order, which toExamples restores anyway.
function priorityOf(seed: number, relativePath: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < relativePath.length; i++) {
    h ^= relativePath.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
