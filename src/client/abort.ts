import { AiccError } from './errors.js';
import type { ApiName } from './protocol.js';

/**
 * Waits for a promise several callers share (a token being fetched), giving up for this caller
 * alone when its own signal aborts. The shared work itself is never cancelled by one caller.
 */
export function waitUnlessAborted<T>(shared: Promise<T>, signal: AbortSignal | undefined, api: ApiName | 'client'): Promise<T> {
  if (!signal) return shared;
  const aborted = () => new AiccError({ kind: 'aborted', api, message: `${api}: aborted` });
  if (signal.aborted) {
    // The shared work goes on without this caller; if nobody else waits for it, its failure
    // must not surface as an unhandled rejection (a page reload during a token renewal).
    shared.catch(() => undefined);
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
