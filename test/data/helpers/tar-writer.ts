// A tiny tar writer for the tests, independent of the reader: ustar headers with checksums, GNU long names ('L'),
// pax extended ('x') and global ('g') headers, ustar prefix/name splitting, padding and end blocks.

const BLOCK = 512;

export interface TarFile {
  name: string;
  body?: string | Uint8Array;
  // '0' file (default), '5' directory, '2' symlink.
  type?: '0' | '5' | '2';
  linkName?: string;
  // How a name longer than 100 bytes is stored: GNU 'L' entry, pax 'path' record, or ustar prefix + name.
  longName?: 'gnu' | 'pax' | 'prefix';
  // Written in the 100-byte name field when the real name travels in an 'L' or pax record, to prove the
  // reader takes the long one.
  decoyName?: string;
  // Extra pax records for this member (e.g. { mtime: '1.5' }).
  pax?: Record<string, string>;
}

export interface TarOptions {
  // pax global header records written first.
  globalPax?: Record<string, string>;
  // All-zero blocks at the end (tar writes two).
  endBlocks?: number;
  // GNU magic ("ustar  \0") instead of POSIX ("ustar\0" + "00").
  gnuMagic?: boolean;
}

export function writeTar(files: TarFile[], options: TarOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const magic = options.gnuMagic ? 'gnu' : 'posix';
  if (options.globalPax) parts.push(...member(header('pax_global_header', 'g', paxBody(options.globalPax).length, magic), paxBody(options.globalPax)));
  for (const file of files) {
    const body = typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : Buffer.from(file.body ?? []);
    const type = file.type ?? '0';
    let name = file.name;
    let prefix = '';
    const records: Record<string, string> = { ...(file.pax ?? {}) };
    if (Buffer.byteLength(name) > 100 || file.decoyName) {
      if (file.longName === 'gnu') {
        const longBody = Buffer.from(`${name}\0`, 'utf8');
        parts.push(...member(header('././@LongLink', 'L', longBody.length, 'gnu'), longBody));
        name = file.decoyName ?? name.slice(0, 100);
      } else if (file.longName === 'pax') {
        records.path = name;
        name = file.decoyName ?? name.slice(0, 100);
      } else {
        const cut = name.lastIndexOf('/', 155);
        prefix = name.slice(0, cut);
        name = name.slice(cut + 1);
      }
    }
    if (Object.keys(records).length > 0) {
      const paxed = paxBody(records);
      parts.push(...member(header(`PaxHeader/${name.slice(0, 80)}`, 'x', paxed.length, magic), paxed));
    }
    parts.push(...member(header(name, type, body.length, magic, { prefix, linkName: file.linkName }), body));
  }
  parts.push(Buffer.alloc(BLOCK * (options.endBlocks ?? 2)));
  return Buffer.concat(parts);
}

export function header(name: string, type: string, size: number, magic: 'posix' | 'gnu', extra: { prefix?: string; linkName?: string; mode?: number } = {}): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, extra.mode ?? (type === '5' ? 0o755 : 0o644));
  octal(h, 108, 8, 1000);
  octal(h, 116, 8, 1000);
  octal(h, 124, 12, size);
  octal(h, 136, 12, 1306886400);
  h.write(type, 156, 1, 'latin1');
  if (extra.linkName) h.write(extra.linkName, 157, 100, 'utf8');
  if (magic === 'gnu') h.write('ustar  \0', 257, 8, 'latin1');
  else h.write('ustar\x0000', 257, 8, 'latin1');
  h.write('tester', 265, 32, 'latin1');
  h.write('tester', 297, 32, 'latin1');
  if (extra.prefix) h.write(extra.prefix, 345, 155, 'utf8');
  setChecksum(h);
  return h;
}

// Writes the checksum field: 6 octal digits, NUL, space (the field counted as 8 spaces while summing).
export function setChecksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

function octal(h: Buffer, start: number, length: number, value: number): void {
  h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, start, length, 'latin1');
}

function member(h: Buffer, body: Buffer): Buffer[] {
  return [h, body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)];
}

// pax records "<len> <key>=<value>\n" where <len> counts the whole record including its own digits.
function paxBody(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    return `${length}${rest}`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}
