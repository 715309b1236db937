// A bounded word -> pieces cache with least-recently-used eviction approximated by two generations: lookups that hit
// the old generation are promoted into the current one, and when the current generation is full the old one is
// dropped whole. This keeps hits as cheap as a single Map lookup (a true LRU would re-order on every hit) while
// words in steady use survive every rotation.

export class WordCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  /** @param generationSize words per generation; the cache holds between this many and twice as many. */
  constructor(private readonly generationSize: number) {}

  get(word: string): V | undefined {
    const hit = this.current.get(word);
    if (hit !== undefined) return hit;
    const old = this.previous.get(word);
    if (old !== undefined) this.set(word, old);
    return old;
  }

  set(word: string, value: V): void {
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(word, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
