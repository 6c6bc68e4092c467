/**
 * Errors of jsync. `JsyncInputError` means the caller gave something we cannot use
 * (bad shape, NaN, bad .npy, unknown option, too large for memory): the CLI maps it to exit
 * status 2. Anything else escaping the library is an internal error (exit status 1).
 */
export class JsyncInputError extends Error {
  override name = 'JsyncInputError';
}

/** The run was cancelled through its AbortSignal. */
export class JsyncAbortError extends Error {
  override name = 'AbortError';
  constructor(message = 'J-synchronization aborted') {
    super(message);
  }
}

/** `promise`, or a JsyncAbortError as soon as the signal aborts (the promise then runs on, ignored). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new JsyncAbortError());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    promise.then(
      (value) => (settle(), resolve(value)),
      (error) => (settle(), reject(error)),
    );
  });
}

/** Throws JsyncAbortError when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new JsyncAbortError();
}
