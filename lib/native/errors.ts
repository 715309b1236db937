// Maps errors thrown or rejected by the addon onto lib/errors.ts. The addon puts a `code` on every error it
// raises on purpose; node-addon-api's own argument errors (a string where a number was expected) carry none and
// are TypeErrors, so they are validation errors too. Errors made by native code belong to the realm the addon was
// loaded in (jest and vm contexts have their own Error), so they are recognised by shape, not by instanceof.
import { BertnodeError, DisposedError, NativeError, ValidationError } from '../errors';

export const INVALID_ARGUMENT = 'ERR_BERTNODE_INVALID_ARGUMENT';
export const DISPOSED = 'ERR_BERTNODE_DISPOSED';
export const BUSY = 'ERR_BERTNODE_BUSY';

interface ErrorLike {
  name?: unknown;
  message: string;
  code?: unknown;
}

function isErrorLike(e: unknown): e is ErrorLike {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

export function fromNative(e: unknown): Error {
  if (e instanceof BertnodeError) return e;
  if (!isErrorLike(e)) return new NativeError(`native engine failed: ${String(e)}`);
  const { code } = e;
  if (code === INVALID_ARGUMENT || (code === undefined && e.name === 'TypeError')) {
    return new ValidationError(e.message, INVALID_ARGUMENT, { cause: e });
  }
  if (code === DISPOSED) return new DisposedError(e.message, { cause: e });
  return new NativeError(e.message, typeof code === 'string' ? code : 'ERR_BERTNODE_NATIVE', { cause: e });
}
