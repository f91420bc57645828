/**
 * The gateway's store in this process's memory: rate-limit counters, each user's one open poll,
 * open polls per address, and the instances listening for "end this poll". The default store,
 * and every instance's fallback while a shared store is unreachable (fleet.ts). Several gateways
 * in one process may share one (tests do).
 */
import type { EndPollOutcome, GatewayStore, PollLease } from './types.js';

/** `work`'s value, or `onTimeout` when it takes longer than `timeoutMs`. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), timeoutMs);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function memoryGatewayStore(now: () => number = Date.now): GatewayStore {
  const counters = new Map<string, { count: number; expiresAt: number }>();
  let nextSweep = 0;
  /** userId → the user's open poll and when it may be forgotten. */
  const polls = new Map<string, { lease: PollLease; expiresAt: number }>();
  /** address → lease id → when it may be forgotten. */
  const byAddress = new Map<string, Map<string, number>>();
  const listeners = new Map<string, (leaseId: string) => Promise<void>>();

  const openAt = (address: string, t: number): Map<string, number> => {
    const open = byAddress.get(address) ?? new Map<string, number>();
    for (const [id, expiresAt] of open) if (expiresAt <= t) open.delete(id);
    return open;
  };
  const forget = (address: string, id: string): void => {
    const open = byAddress.get(address);
    if (!open) return;
    open.delete(id);
    if (open.size === 0) byAddress.delete(address);
  };

  return {
    async hit(key, windowMs) {
      const t = now();
      if (t >= nextSweep) {
        for (const [k, v] of counters) if (v.expiresAt <= t) counters.delete(k);
        nextSweep = t + windowMs;
      }
      const entry = counters.get(key);
      if (entry && entry.expiresAt > t) {
        entry.count += 1;
        return entry.count;
      }
      counters.set(key, { count: 1, expiresAt: t + windowMs });
      return 1;
    },

    async claimPoll(lease, { maxPerAddress, ttlMs }) {
      const t = now();
      const current = polls.get(lease.userId);
      const old = current && current.expiresAt > t ? current.lease : null;
      const open = openAt(lease.address, t);
      const count = open.size - (old && open.has(old.id) ? 1 : 0);
      if (count >= maxPerAddress) return { claimed: false };
      if (old) forget(old.address, old.id);
      polls.set(lease.userId, { lease, expiresAt: t + ttlMs });
      open.set(lease.id, t + ttlMs);
      byAddress.set(lease.address, open);
      return { claimed: true, replaced: old };
    },

    async releasePoll(lease) {
      forget(lease.address, lease.id);
      if (polls.get(lease.userId)?.lease.id === lease.id) polls.delete(lease.userId);
    },

    async endPoll(lease, timeoutMs): Promise<EndPollOutcome> {
      const onEnd = listeners.get(lease.instance);
      if (!onEnd) return 'gone';
      return withTimeout(
        onEnd(lease.id).then(() => 'ended' as const),
        timeoutMs,
        'timeout',
      );
    },

    async listen(instance, onEnd) {
      listeners.set(instance, onEnd);
      return async () => {
        if (listeners.get(instance) === onEnd) listeners.delete(instance);
      };
    },
  };
}
