/**
 * A lock manager on a heartbeat lease in localStorage: the fallback where `navigator.locks` is
 * missing (old browsers; pages served over plain http, where Web Locks do not exist).
 *
 * The lease is `{ owner, expiresAt }` under `aicc-chat-machine:lease:<name>`. A tab takes a
 * free or expired lease by writing its claim and reading it back `settleMs` later (the last
 * writer wins; the others go on waiting); the holder renews it every `renewMs`; releasing
 * removes it. It is weaker than Web Locks, and says so:
 * - a tab that dies without releasing keeps the lease until it expires (`leaseMs`, 90 s by
 *   default: Chrome runs the timers of a long-hidden tab about once a minute, so a shorter lease
 *   could expire under a live holder);
 * - two tabs that write their claims within the propagation delay of localStorage could both
 *   read their own claim back; `settleMs` makes that unlikely, not impossible;
 * - a holder that finds the lease taken by another tab (it was not renewed in time) learns it
 *   through `lock.lost` (an AbortSignal) and must stop at once; the coordinator does.
 */
import type { StorageLeaseOptions, TabLockManager } from './types.js';

interface Lease {
  owner: string;
  expiresAt: number;
}

/** What the callback of a lease lock receives. */
export interface LeaseLock {
  name: string;
  mode: 'exclusive';
  /** Aborted when the lease turns out to be held by another tab. */
  lost: AbortSignal;
}

export const LEASE_DEFAULTS = { leaseMs: 90_000, renewMs: 20_000, retryMs: 1_000, settleMs: 50 } as const;

export function leaseKey(name: string): string {
  return `aicc-chat-machine:lease:${name}`;
}

export function randomId(): string {
  const bytes = new Uint8Array(12);
  if (typeof crypto !== 'undefined' && typeof crypto.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function abortError(): Error {
  return typeof DOMException === 'function' ? new DOMException('The lock request was aborted.', 'AbortError') : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

export function createStorageLeaseLocks(options: StorageLeaseOptions): TabLockManager {
  const { store } = options;
  const leaseMs = options.leaseMs ?? LEASE_DEFAULTS.leaseMs;
  const renewMs = options.renewMs ?? LEASE_DEFAULTS.renewMs;
  const retryMs = options.retryMs ?? LEASE_DEFAULTS.retryMs;
  const settleMs = options.settleMs ?? LEASE_DEFAULTS.settleMs;
  const now = options.now ?? Date.now;

  const read = (key: string): Lease | null => {
    try {
      const value = JSON.parse(store.getItem(key) ?? 'null') as Partial<Lease> | null;
      return value && typeof value.owner === 'string' && typeof value.expiresAt === 'number' ? (value as Lease) : null;
    } catch {
      return null;
    }
  };
  const write = (key: string, owner: string): void => {
    try {
      store.setItem(key, JSON.stringify({ owner, expiresAt: now() + leaseMs } satisfies Lease));
    } catch {
      // A store that refuses writes (quota, private mode) never grants the lease: waiting is safe.
    }
  };

  return {
    request(name, { signal }, callback) {
      const key = leaseKey(name);
      const owner = randomId();
      return new Promise((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(abortError());
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });

        const attempt = (): void => {
          const lease = read(key);
          if (!lease || lease.expiresAt <= now() || lease.owner === owner) {
            write(key, owner);
            timer = setTimeout(confirm, settleMs);
          } else {
            timer = setTimeout(attempt, retryMs);
          }
        };
        const confirm = (): void => {
          if (read(key)?.owner === owner) hold();
          else timer = setTimeout(attempt, retryMs);
        };
        const hold = (): void => {
          signal?.removeEventListener('abort', onAbort);
          const lost = new AbortController();
          const renew = setInterval(() => {
            if (read(key)?.owner === owner) write(key, owner);
            else {
              clearInterval(renew);
              lost.abort();
            }
          }, renewMs);
          const done = (): void => {
            clearInterval(renew);
            try {
              if (read(key)?.owner === owner) store.removeItem(key);
            } catch {
              // Nothing to release in a store that cannot be written.
            }
          };
          const lock: LeaseLock = { name, mode: 'exclusive', lost: lost.signal };
          Promise.resolve()
            .then(() => callback(lock))
            .then(
              (value) => {
                done();
                resolve(value);
              },
              (error: unknown) => {
                done();
                reject(error);
              },
            );
        };
        attempt();
      });
    },
  };
}
