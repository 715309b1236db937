// A minimal safetensors reader for the MiniLM test (F32 tensors only; the real model file is F32). Names are mapped
// onto the canonical BertForSequenceClassification names by adding the `bert.` prefix a bare BertModel lacks.
import * as fs from 'fs';

export function readF32Safetensors(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as
    Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLength;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32') continue;
    const [begin, end] = t.data_offsets;
    const data = new Float32Array(new Uint8Array(bytes.subarray(base + begin, base + end)).buffer);
    tensors.set(name.startsWith('bert.') || name.startsWith('classifier.') ? name : `bert.${name}`,
      { shape: t.shape, data });
  }
  return tensors;
}
