// Strict UTF-8 decoding: invalid bytes are an error naming the file and the byte offset, never U+FFFD.

import { TextEncodingError } from '../errors';

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    const offset = firstInvalidUtf8Offset(bytes);
    const line = lineAt(bytes, offset);
    throw new TextEncodingError(file, `not valid UTF-8 (first bad byte at offset ${offset})`, { line, cause });
  }
}

// Strict UTF-8 decoding of a file read in chunks, with the same errors as decodeUtf8 on the whole file (absolute
// byte offset, line). An incomplete sequence at the end of a chunk is held back (at most 3 bytes) and decoded with
// the next one, so each chunk is decoded on its own and nothing larger than a chunk is ever kept. A byte order mark
// is dropped at the start of the file only, as TextDecoder does for a whole file.
export class Utf8ChunkDecoder {
  // ignoreBOM: a chunk is not the start of the file; the file's own BOM is dropped below.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private held: Uint8Array = new Uint8Array(0);
  private offset = 0; // file offset of the first held (or next) byte
  private started = false;

  constructor(private readonly file: string) {}

  // Decodes `chunk` after the bytes held back from the previous one. `line`: the 1-based line the first of them is on
  // (the caller counts line breaks in what it got back), for the error.
  push(chunk: Uint8Array, line: number): string {
    const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const cut = completeLength(bytes);
    const text = this.decode(bytes.subarray(0, cut), line);
    this.held = Uint8Array.from(bytes.subarray(cut)); // a copy (Buffer#slice would not be one): the caller reuses its buffer
    return text;
  }

  // The end of the file: a sequence still held back was cut off.
  end(line: number): void {
    if (this.held.length > 0) this.decode(this.held, line);
  }

  private decode(part: Uint8Array, line: number): string {
    let text: string;
    try {
      text = this.decoder.decode(part);
    } catch (cause) {
      const at = firstInvalidUtf8Offset(part);
      throw new TextEncodingError(this.file, `not valid UTF-8 (first bad byte at offset ${this.offset + at})`, { line: line + lineAt(part, at) - 1, cause });
    }
    this.offset += part.length;
    if (!this.started && part.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }
}

// Length of the longest prefix of `bytes` that does not end inside a multi-byte sequence (the sequence's lead byte
// announces more bytes than are there).
function completeLength(bytes: Uint8Array): number {
  let i = bytes.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (bytes[i] & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return bytes.length;
  const lead = bytes[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - i < need ? i : bytes.length;
}

// Byte offset of the first sequence TextDecoder rejects (overlong forms, surrogates, > U+10FFFF, truncation).
// Only called after decoding failed, so a slow byte loop is fine.
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min, cp] = [1, 0x80, b & 0x1f];
    else if (b >= 0xe0 && b <= 0xef) [need, min, cp] = [2, 0x800, b & 0x0f];
    else if (b >= 0xf0 && b <= 0xf4) [need, min, cp] = [3, 0x10000, b & 0x07];
    else return i;
    if (i + need >= bytes.length) return i; // cut off at the end of the file
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
