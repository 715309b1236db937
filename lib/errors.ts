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

// A checkpoint cannot be used: none there (ERR_BERTNODE_CHECKPOINT_MISSING), its bytes do not match the checksum
// written with it (ERR_BERTNODE_CHECKPOINT_CORRUPT), or it belongs to another model or run set-up
// (ERR_BERTNODE_CHECKPOINT_MISMATCH).
export class CheckpointError extends BertnodeError {
  constructor(message: string, code = 'ERR_BERTNODE_CHECKPOINT_CORRUPT', options?: { cause?: unknown }) {
    super(code, message, options);
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
