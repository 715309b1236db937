// Typed errors of bertnode. Every error the package throws on purpose is a BertnodeError with a stable `code`
// that callers can switch on; subclasses group the codes by where the problem lies. Each area adds its own
// subclasses in its own clearly separated block below.

export class BertnodeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

// ---- native engine (lib/native, native/addon) -------------------------------------------------------------

// An argument crossing into the native engine was rejected before any work was done: wrong dtype, wrong length,
// an id out of range, an unknown parameter name, a non-finite hyper-parameter, an impossible config.
export class ValidationError extends BertnodeError {
  constructor(message: string, code = 'ERR_BERTNODE_INVALID_ARGUMENT', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// The native engine failed while working (allocation failure, internal invariant), or the addon is missing.
export class NativeError extends BertnodeError {
  constructor(message: string, code = 'ERR_BERTNODE_NATIVE', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// A method was called on a model after dispose().
export class DisposedError extends BertnodeError {
  constructor(message = 'the model has been disposed', options?: { cause?: unknown }) {
    super('ERR_BERTNODE_DISPOSED', message, options);
  }
}

// ---- training, classifier and reports (lib/train, lib/classifier.ts, lib/explain) --------------------------

// A training, evaluation or prediction option is out of range or inconsistent (negative epochs, a label name
// that is not in the label list, a metric early stopping cannot watch ...).
export class TrainingOptionsError extends BertnodeError {
  constructor(message: string, code = 'ERR_BERTNODE_TRAIN_OPTIONS', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// An option name the method does not take (ERR_BERTNODE_UNKNOWN_OPTION): a misspelling (`maxLen`) or another
// library's name (`learning_rate`, `num_train_epochs`). `suggestion` is the closest valid name, when one is close.
export class UnknownOptionError extends TrainingOptionsError {
  readonly option: string;
  readonly suggestion: string | undefined;

  constructor(message: string, option: string, suggestion: string | undefined) {
    super(message, 'ERR_BERTNODE_UNKNOWN_OPTION');
    this.option = option;
    this.suggestion = suggestion;
  }
}

// An option given with the wrong JavaScript type (ERR_BERTNODE_OPTION_TYPE): `epochs: '2'`, `seed: 'x'`.
export class OptionTypeError extends TrainingOptionsError {
  readonly option: string;
  readonly expected: string;

  constructor(option: string, expected: string, received: unknown) {
    super(`${option} must be ${expected}, got ${describeValue(received)}`, 'ERR_BERTNODE_OPTION_TYPE');
    this.option = option;
    this.expected = expected;
  }
}

// An option of the right type whose value is not allowed (ERR_BERTNODE_OPTION_VALUE): a number out of range, a
// string that is not one of the choices (`device: 'gpu'`; `suggestion` is then the closest choice).
export class OptionValueError extends TrainingOptionsError {
  readonly option: string;
  readonly suggestion: string | undefined;

  constructor(option: string, message: string, suggestion?: string) {
    super(`${option} ${message}${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`, 'ERR_BERTNODE_OPTION_VALUE');
    this.option = option;
    this.suggestion = suggestion;
  }
}

// A text handed to predict/explain is not a string or a [string, string] pair (ERR_BERTNODE_INPUT); `index` is
// its position in the input array.
export class InputError extends TrainingOptionsError {
  readonly index: number | undefined;

  constructor(message: string, index?: number) {
    super(message, 'ERR_BERTNODE_INPUT');
    this.index = index;
  }
}

// Two lists of class names do not match by name (ERR_BERTNODE_LABEL_MISMATCH): the data's classes and the
// classifier's labels, or the labels given and the classes of a model's trained head. Labels are never mapped by
// position; the message and the fields give both lists.
export class LabelMismatchError extends TrainingOptionsError {
  readonly labels: readonly string[];
  readonly expected: readonly string[];

  constructor(message: string, labels: readonly string[], expected: readonly string[]) {
    super(`${message}: [${labels.join(', ')}] vs [${expected.join(', ')}]`, 'ERR_BERTNODE_LABEL_MISMATCH');
    this.labels = labels;
    this.expected = expected;
  }
}

// A classifier call was refused because fit() is running on the same classifier (or fit() was called while other
// calls were in flight): ERR_BERTNODE_BUSY. Calls are refused, not queued, so nothing reads half-trained weights.
export class BusyError extends BertnodeError {
  constructor(message: string) {
    super('ERR_BERTNODE_BUSY', message);
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}' (a string)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' || typeof value === 'function' ? `a ${typeof value}` : `${String(value)} (a ${typeof value})`;
}

// A checkpoint cannot be used: none there (ERR_BERTNODE_CHECKPOINT_MISSING), its bytes do not match the checksum
// written with it (ERR_BERTNODE_CHECKPOINT_CORRUPT), or it belongs to another model or run set-up
// (ERR_BERTNODE_CHECKPOINT_MISMATCH).
export class CheckpointError extends BertnodeError {
  constructor(message: string, code = 'ERR_BERTNODE_CHECKPOINT_CORRUPT', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// A resume was refused because a setting the numbers depend on differs from the one the checkpoint recorded
// (code ERR_BERTNODE_CHECKPOINT_MISMATCH, as for any other mismatch). `setting` names the first such setting with
// both values (undefined: not set on that side); `settings` lists every one.
export class ResumeSettingsError extends CheckpointError {
  readonly setting: string;
  readonly checkpointValue: unknown;
  readonly currentValue: unknown;
  readonly settings: readonly { name: string; checkpoint: unknown; current: unknown }[];

  constructor(message: string, settings: readonly { name: string; checkpoint: unknown; current: unknown }[]) {
    super(message, 'ERR_BERTNODE_CHECKPOINT_MISMATCH');
    this.settings = settings;
    this.setting = settings[0].name;
    this.checkpointValue = settings[0].checkpoint;
    this.currentValue = settings[0].current;
  }
}

// ---- data: IMDb folder/archive, TSV/CSV/JSONL, batching (lib/data) -------------------------------------------

// A data file cannot be read as what it should be. `file` names it (an archive member as "<archive>:<member>"),
// `reason` says what is wrong, `line` is set where a line number is known (1-based).
export class DataError extends BertnodeError {
  readonly file: string;
  readonly reason: string;
  readonly line: number | undefined;

  constructor(code: string, file: string, reason: string, options?: { line?: number; cause?: unknown }) {
    const where = options?.line === undefined ? file : `${file}:${options.line}`;
    super(code, `${where}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.file = file;
    this.reason = reason;
    this.line = options?.line;
  }
}

// A tar or tar.gz archive is damaged: ERR_BERTNODE_ARCHIVE_GZIP (the gzip layer is corrupt or cut short),
// ERR_BERTNODE_ARCHIVE_TRUNCATED (the tar stream ends inside a header, a member or before its end marker),
// ERR_BERTNODE_ARCHIVE_CHECKSUM (a header's checksum does not match), ERR_BERTNODE_ARCHIVE_HEADER (a header field
// or pax record cannot be parsed).
export class ArchiveError extends DataError {}

// A text file is not valid UTF-8 (ERR_BERTNODE_DATA_ENCODING); the reason gives the byte offset.
export class TextEncodingError extends DataError {
  constructor(file: string, reason: string, options?: { line?: number; cause?: unknown }) {
    super('ERR_BERTNODE_DATA_ENCODING', file, reason, options);
  }
}

// A data file's content does not fit its format: ERR_BERTNODE_DATA_PARSE (CSV/TSV/JSONL syntax),
// ERR_BERTNODE_DATA_LABEL (a label that is not in the label list), ERR_BERTNODE_DATA_EMPTY (an empty review or a
// file without records), ERR_BERTNODE_DATA_LAYOUT (a file outside the aclImdb layout in strict mode, or no
// reviews where the layout says they are), ERR_BERTNODE_DATA_NOT_FOUND (the path does not exist).
export class DataFormatError extends DataError {}

// ---- weights and downloads (lib/weights, lib/hub) ---------------------------------------------------------

// A weights or config file cannot be read: malformed safetensors header, corrupt zip, truncated or unknown pickle
// opcode, unsupported dtype. `file` is the path that was being read, `reason` what was wrong with it.
export class WeightsFormatError extends BertnodeError {
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string, code = 'ERR_BERTNODE_WEIGHTS_FORMAT', options?: { cause?: unknown }) {
    super(code, `${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

// A pickle asked for a global outside the short list a PyTorch state dict needs (os.system, builtins.eval, ...).
// It is refused when the opcode naming it is read, before anything could be built from it.
export class UnsafePickleError extends WeightsFormatError {
  readonly global: string;

  constructor(file: string, global: string) {
    super(file, `refusing pickle global '${global}': a state dict needs only tensors, storages and dicts`,
      'ERR_BERTNODE_UNSAFE_PICKLE');
    this.global = global;
  }
}

// A checkpoint does not fit the config: a tensor is missing (ERR_BERTNODE_TENSOR_MISSING) or has another shape
// (ERR_BERTNODE_TENSOR_SHAPE). `tensor` is the canonical name; both shapes are given for a mismatch.
export class TensorMismatchError extends BertnodeError {
  readonly tensor: string;
  readonly expected: readonly number[];
  readonly actual: readonly number[] | null;

  constructor(tensor: string, expected: readonly number[], actual: readonly number[] | null, source: string) {
    super(actual === null ? 'ERR_BERTNODE_TENSOR_MISSING' : 'ERR_BERTNODE_TENSOR_SHAPE',
      actual === null
        ? `${source}: tensor '${tensor}' [${expected.join(', ')}] required by the config is missing`
        : `${source}: tensor '${tensor}' has shape [${actual.join(', ')}], the config requires [${expected.join(', ')}]`);
    this.tensor = tensor;
    this.expected = expected;
    this.actual = actual;
  }
}

// A download failed (ERR_BERTNODE_DOWNLOAD), its bytes did not match the announced size or sha256
// (ERR_BERTNODE_CHECKSUM), or offline mode is on and the file is not cached (ERR_BERTNODE_OFFLINE). The message
// names the URL and the folder where the file can be put by hand.
export class DownloadError extends BertnodeError {
  readonly url: string;
  readonly destination: string;
  readonly status: number | undefined;

  constructor(url: string, destination: string, reason: string,
    opts: { code?: string; status?: number; cause?: unknown; hint?: string } = {}) {
    super(opts.code ?? 'ERR_BERTNODE_DOWNLOAD',
      `${reason} (${url}). To supply the file by hand, download it yourself and put it at ${destination}` +
      (opts.hint ? `; ${opts.hint}` : ''),
      { cause: opts.cause });
    this.url = url;
    this.destination = destination;
    this.status = opts.status;
  }
}

// ---- tokenizer (lib/tokenizer) ------------------------------------------------------------------------------

// A vocabulary or tokenizer.json cannot be used. `file` names it, `reason` says what is wrong. Codes:
// ERR_BERTNODE_TOKENIZER_FILE (missing, unreadable, not UTF-8, not JSON), ERR_BERTNODE_TOKENIZER_FORMAT (a field is
// missing or has the wrong type, or a normalizer/pre-tokenizer/model/decoder type this tokenizer does not implement),
// ERR_BERTNODE_TOKENIZER_VOCAB (the unknown token or another required token is not in the vocabulary, duplicates).
export class TokenizerFileError extends BertnodeError {
  readonly file: string;
  readonly reason: string;

  constructor(code: string, file: string, reason: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

// A tokenizer call cannot be served as asked. Codes: ERR_BERTNODE_TOKENIZER_OPTION (an unknown option name or a value
// out of range), ERR_BERTNODE_TOKENIZER_TRUNCATION (the chosen truncation strategy cannot reach maxLength, as in
// Hugging Face's "sequence to truncate too short"), ERR_BERTNODE_TOKENIZER_ID (decode got an id outside the vocabulary),
// ERR_BERTNODE_TOKENIZER_WORKER (a TokenizerPool worker died, or the pool was closed, while a batch was in flight).
export class TokenizerOptionsError extends BertnodeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// ---- frozen-layer cache (lib/train/frozen-cache.ts) ----------------------------------------------------------

// A frozen-layer cache cannot be used. Codes: ERR_BERTNODE_FROZEN_CACHE_STALE (it was built for other frozen
// parameters, maxLength, examples or dtype: its key differs), ERR_BERTNODE_FROZEN_CACHE_CORRUPT (not a cache file, or
// truncated), ERR_BERTNODE_FROZEN_CACHE_OPTIONS (the model has no frozen prefix, a bad storage/dtype, a value out of
// fp16 range), ERR_BERTNODE_FROZEN_CACHE_CLOSED (used after close()).
export class FrozenCacheError extends BertnodeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

// ---- metrics (lib/metrics) ----------------------------------------------------------------------------------

// A metric cannot be computed from what it was given (ERR_BERTNODE_METRIC_INPUT): predictions and references of
// different lengths, no items at all, a tag without a scheme prefix in strict mode, an unknown averaging.
export class MetricInputError extends BertnodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BERTNODE_METRIC_INPUT', message, options);
  }
}
