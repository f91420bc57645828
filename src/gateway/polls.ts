/**
 * One open long poll per customer, over the whole fleet (issue 17.2): a newer poll replaces the
 * older. The older is answered at once with an empty batch and its upstream request is aborted
 * before the newer one goes upstream, so AICC never sees two polls of one customer, wherever
 * they arrived. The instance holding the older poll may be another one: the store carries the
 * request to end it (fleet.ts), and the newer waits at most `replaceWaitMs` for it.
 *
 * Also the cap on open polls per client address, counted in the same store.
 */
import { randomUUID } from 'node:crypto';
import type { Fleet } from './fleet.js';
import { withTimeout } from './store.js';
import type { GatewayLogLevel, PollLease } from './types.js';

export interface OpenPoll {
  readonly lease: PollLease;
  /** Aborted when a newer poll of the same customer replaces this one. */
  readonly replaced: AbortSignal;
}

export interface PollRule {
  /**
   * Makes this the customer's one open poll and ends the one it replaces (here or on another
   * instance) first. Null: the address already holds its maximum of open polls. `over` resolves
   * when this poll's exchange is over (answered, or the browser left): the poll is released then.
   */
  open(userId: string, address: string, over: Promise<void>): Promise<OpenPoll | null>;
  close(): Promise<void>;
}

export interface PollRuleOptions {
  fleet: Fleet;
  maxPerAddress: number;
  /** How long the store may remember a poll whose instance died without releasing it. */
  ttlMs: number;
  /** Longest wait for the instance holding the replaced poll to end it. */
  replaceWaitMs: number;
  log: (level: GatewayLogLevel, msg: string) => void;
}

export function createPollRule(options: PollRuleOptions): PollRule {
  const instance = randomUUID();
  let sequence = 0;
  /** This instance's open polls, by lease id. */
  const open = new Map<string, { replace: AbortController; over: Promise<void> }>();

  /** Ends one of this instance's polls: the caller answers it empty when its signal aborts. */
  async function endHere(leaseId: string): Promise<void> {
    const poll = open.get(leaseId);
    if (!poll) return;
    poll.replace.abort();
    await poll.over;
  }
  const listening = options.fleet.listen(instance, endHere);

  return {
    async open(userId, address, over) {
      await listening;
      const lease: PollLease = { id: `${instance}:${++sequence}`, instance, userId, address };
      const claim = await options.fleet.claimPoll(lease, { maxPerAddress: options.maxPerAddress, ttlMs: options.ttlMs });
      if (!claim.claimed) return null;
      const replace = new AbortController();
      open.set(lease.id, { replace, over });
      void over.then(() => {
        open.delete(lease.id);
        return claim.release();
      });
      const { replaced } = claim;
      if (replaced?.instance === instance) await withTimeout(endHere(replaced.id), options.replaceWaitMs, undefined);
      else if (replaced) {
        const outcome = await claim.endReplaced(options.replaceWaitMs);
        if (outcome === 'timeout') options.log('warn', 'the instance holding the replaced poll did not end it in time; polling anyway');
      }
      return { lease, replaced: replace.signal };
    },

    close: () => options.fleet.close(),
  };
}
