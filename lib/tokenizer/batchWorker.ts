// Worker thread side of TokenizerPool: loads the same tokenizer as the pool, encodes the rows it is sent (without
// padding) and hands the ids back as transferred buffers.

import { parentPort, workerData } from 'worker_threads';
import { BertnodeError } from '../errors';
import { BertTokenizer, type TextInput } from './bertTokenizer';
import { resolveEncodeOptions, type EncodeOptions } from './encodeOptions';
import type { TokenizerSource } from './workerPool';

export interface WorkerRequest {
  id: number;
  inputs: TextInput[];
  options: EncodeOptions | undefined;
}

export type WorkerReply =
  | { id: number; ids: Int32Array; types: Int32Array; starts: Int32Array }
  | { id: number; error: { message: string; code: string | null } };

function load(source: TokenizerSource): BertTokenizer {
  return source.kind === 'tokenizer.json'
    ? BertTokenizer.fromTokenizerJson(source.file, source.options)
    : BertTokenizer.fromVocabFile(source.file, source.options);
}

if (parentPort !== null) {
  const port = parentPort;
  const tokenizer = load(workerData as TokenizerSource);
  port.on('message', (req: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      const rows = tokenizer.encodeRows(req.inputs, resolveEncodeOptions('encodeBatch', req.options, true));
      reply = {
        id: req.id,
        ids: rows.ids.data.slice(0, rows.ids.length),
        types: rows.types.data.slice(0, rows.types.length),
        starts: rows.starts,
      };
    } catch (e) {
      reply = { id: req.id, error: { message: (e as Error).message, code: e instanceof BertnodeError ? e.code : null } };
    }
    const transfer = 'ids' in reply ? [reply.ids.buffer, reply.types.buffer, reply.starts.buffer] : [];
    port.postMessage(reply, transfer as ArrayBuffer[]);
  });
}
