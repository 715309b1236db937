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
