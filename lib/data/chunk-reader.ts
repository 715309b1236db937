// Pulls exact byte counts out of an async stream of chunks. It holds one source chunk at a time and copies only
// when a request straddles chunks, so memory stays bounded by the largest single request; the source is pulled
// only when bytes are asked for, which is what gives a piped stream its backpressure.

const EMPTY = Buffer.alloc(0);

export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private current: Buffer = EMPTY;
  private position = 0;
  private ended = false;
  // Bytes handed out or skipped so far, i.e. the stream offset of the next byte.
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  // Reads n bytes; fewer only when the stream ends first.
  async read(n: number): Promise<Buffer> {
    if (n === 0 || !(await this.fill())) return EMPTY;
    if (this.current.length - this.position >= n) return this.take(n);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n && (await this.fill())) {
      const part = this.take(Math.min(n - got, this.current.length - this.position));
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, got);
  }

  // Yields the next n bytes piece by piece as they arrive; stops early only when the stream ends.
  async *pieces(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0 && (await this.fill())) {
      const part = this.take(Math.min(left, this.current.length - this.position));
      left -= part.length;
      yield part;
    }
  }

  // Discards n bytes; returns how many were there.
  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n && (await this.fill())) {
      skipped += this.take(Math.min(n - skipped, this.current.length - this.position)).length;
    }
    return skipped;
  }

  // Stops the source (destroys a Node stream behind it) without reading the rest.
  async close(): Promise<void> {
    this.ended = true;
    await this.iterator.return?.();
  }

  private take(n: number): Buffer {
    const part = this.current.subarray(this.position, this.position + n);
    this.position += n;
    this.offset += n;
    return part;
  }

  private async fill(): Promise<boolean> {
    while (this.position >= this.current.length) {
      if (this.ended) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      const chunk = next.value;
      this.current = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.position = 0;
    }
    return true;
  }
}
