// A bounded cache word -> pieces, keyed by the UTF-16 units of the word where it lies in the normalized text, so
// that a hit costs one hash over the units and one comparison, and no substring is made (a Map keyed by strings
// would need a fresh string for every word, and V8 would hash it again).
//
// Eviction approximates least-recently-used with two generations: hits in the old generation are copied into the
// current one, and when the current one is full it becomes the old one and the previous old one is dropped whole.
// Words in steady use survive every rotation; hits cost no re-ordering, unlike a true LRU.

/** FNV-1a over text[start, end) code units. */
export function hashUnits(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** One open-addressing hash table whose keys are stored in a UTF-16 arena. */
class Generation<V> {
  readonly capacity: number;
  count = 0;
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly keyStart: Int32Array;
  private readonly keyLength: Int32Array;
  private readonly values: V[] = [];
  private arena = new Uint16Array(1024);
  private arenaUsed = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.hashes = new Int32Array(capacity);
    this.keyStart = new Int32Array(capacity);
    this.keyLength = new Int32Array(capacity);
  }

  get(text: string, start: number, end: number, hash: number): V | undefined {
    const len = end - start;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = this.slots[slot] - 1;
      if (entry < 0) return undefined;
      if (this.hashes[entry] !== (hash | 0) || this.keyLength[entry] !== len) continue;
      const at = this.keyStart[entry];
      let same = true;
      for (let i = 0; i < len; i++) {
        if (this.arena[at + i] !== text.charCodeAt(start + i)) {
          same = false;
          break;
        }
      }
      if (same) return this.values[entry];
    }
  }

  /** Adds a key that is not present; the caller keeps count below capacity. */
  add(text: string, start: number, end: number, hash: number, value: V): void {
    const len = end - start;
    if (this.arenaUsed + len > this.arena.length) {
      const grown = new Uint16Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    for (let i = 0; i < len; i++) this.arena[this.arenaUsed + i] = text.charCodeAt(start + i);
    const entry = this.count++;
    this.hashes[entry] = hash | 0;
    this.keyStart[entry] = this.arenaUsed;
    this.keyLength[entry] = len;
    this.values[entry] = value;
    this.arenaUsed += len;
    let slot = hash & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry + 1;
  }
}

export class WordCache<V> {
  private current: Generation<V>;
  private previous: Generation<V> | null = null;

  /** @param generationSize words per generation; the cache holds up to twice as many. */
  constructor(private readonly generationSize: number) {
    this.current = new Generation(generationSize);
  }

  /** The value cached for the word text[start, end) whose hashUnits is `hash`. */
  get(text: string, start: number, end: number, hash: number): V | undefined {
    const hit = this.current.get(text, start, end, hash);
    if (hit !== undefined || this.previous === null) return hit;
    const old = this.previous.get(text, start, end, hash);
    if (old !== undefined) this.set(text, start, end, hash, old);
    return old;
  }

  /** Caches a word that get() just missed. */
  set(text: string, start: number, end: number, hash: number, value: V): void {
    if (this.current.count >= this.generationSize) {
      this.previous = this.current;
      this.current = new Generation(this.generationSize);
    }
    this.current.add(text, start, end, hash, value);
  }
}
