/**
 * Fixed-window rate limiting per user and per client address, counted in the gateway's store.
 * Windows are aligned on the epoch (window index = floor(now / windowMs)), so every gateway
 * instance sharing a store counts into the same key and computes the same Retry-After without
 * talking to the others.
 */
import type { GatewayRoute, GatewayStore, RateLimitOptions } from './types.js';

export const DEFAULT_RATE_WINDOW_MS = 60_000;
export const DEFAULT_RATE_MAX = 300;
export const DEFAULT_PER_ROUTE: Readonly<Partial<Record<GatewayRoute, number>>> = { token: 20, uploadFileStream: 20 };
/**
 * Requests per client address and window, identified or not, counted before identify() runs.
 * Sized for a few dozen customers behind one NAT (one chatting customer makes ~15-30 a minute).
 */
export const DEFAULT_RATE_PER_ADDRESS = 1200;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  check(userId: string, route: GatewayRoute): Promise<RateDecision>;
  /** Every request from this client address (see address.ts for what an address is). */
  checkAddress(address: string): Promise<RateDecision>;
}

export function createRateLimiter(options: RateLimitOptions | false | undefined, now: () => number, store: Pick<GatewayStore, 'hit'>): RateLimiter | null {
  if (options === false) return null;
  const windowMs = options?.windowMs ?? DEFAULT_RATE_WINDOW_MS;
  const max = options?.max ?? DEFAULT_RATE_MAX;
  const perRoute = options?.perRoute ?? DEFAULT_PER_ROUTE;
  const perAddress = options?.perAddress ?? DEFAULT_RATE_PER_ADDRESS;
  if (!(Number.isInteger(windowMs) && windowMs > 0)) throw new TypeError('rateLimit.windowMs must be a positive integer');
  for (const limit of [max, perAddress, ...Object.values(perRoute)]) {
    if (!(Number.isInteger(limit) && (limit as number) > 0)) throw new TypeError('rateLimit limits must be positive integers');
  }
  async function count(prefix: string, limit: number): Promise<RateDecision> {
    const t = now();
    const window = Math.floor(t / windowMs);
    const hits = await store.hit(`${prefix}:${window}`, windowMs);
    if (hits <= limit) return { allowed: true };
    const resetAt = (window + 1) * windowMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - t) / 1000)) };
  }
  return {
    check(userId, route) {
      const routeLimit = perRoute[route];
      const bucket = routeLimit !== undefined ? route : '*';
      return count(`rate:${encodeURIComponent(userId)}:${bucket}`, routeLimit ?? max);
    },
    checkAddress(address) {
      // Its own prefix: no user id can produce this key.
      return count(`rate-addr:${encodeURIComponent(address)}`, perAddress);
    },
  };
}
