/**
 * The GatewayStore contract, run against both stores: this process's memory and Redis (a real
 * redis-server started by the test; none installed fails the test with how to install it).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryGatewayStore, redisGatewayStore, type GatewayStore, type PollLease } from '../../src/gateway/index.js';
import { eventually } from '../support/timeBudget.js';
import { findRedisServer, startRedisServer, type RedisServer } from './redisServer.js';

let sequence = 0;
const lease = (userId: string, address = '203.0.113.1', instance = 'i-1'): PollLease => ({ id: `${instance}:${++sequence}`, instance, userId, address });
const LONG_TTL = { maxPerAddress: 100, ttlMs: 60_000 };

function contract(name: string, make: () => GatewayStore | Promise<GatewayStore>) {
  describe(`${name} store`, () => {
    let store: GatewayStore;
    beforeAll(async () => {
      store = await make();
    });
    const user = () => `u-${randomUUID().slice(0, 8)}`;

    it('counts hits per key and forgets a key after its window', async () => {
      const key = `k-${randomUUID()}`;
      expect(await store.hit(key, 60_000)).toBe(1);
      expect(await store.hit(key, 60_000)).toBe(2);
      expect(await store.hit(`${key}-other`, 60_000)).toBe(1);
      const short = `short-${randomUUID()}`;
      expect(await store.hit(short, 100)).toBe(1);
      await eventually(async () => (await store.hit(short, 100)) === 1, { what: 'the counter to be forgotten after its window' });
    });

    it('keeps one poll per user: a claim answers the lease it replaced; releasing a replaced lease leaves the newer', async () => {
      const u = user();
      const first = lease(u);
      expect(await store.claimPoll(first, LONG_TTL)).toEqual({ claimed: true, replaced: null });
      const second = lease(u, '198.51.100.9', 'i-2');
      expect(await store.claimPoll(second, LONG_TTL)).toEqual({ claimed: true, replaced: first });
      await store.releasePoll(first);
      expect(await store.claimPoll(lease(u), LONG_TTL)).toEqual({ claimed: true, replaced: second });
      expect(await store.claimPoll(lease(user()), LONG_TTL)).toEqual({ claimed: true, replaced: null });
    });

    it('caps open polls per address; a user replacing their own poll does not count twice; a release frees a slot', async () => {
      const address = `addr-${randomUUID()}`;
      const limits = { maxPerAddress: 2, ttlMs: 60_000 };
      const [a, b, c] = [user(), user(), user()];
      const la = lease(a, address);
      expect((await store.claimPoll(la, limits)).claimed).toBe(true);
      expect((await store.claimPoll(lease(b, address), limits)).claimed).toBe(true);
      expect(await store.claimPoll(lease(c, address), limits)).toEqual({ claimed: false });
      const again = lease(a, address);
      expect(await store.claimPoll(again, limits)).toEqual({ claimed: true, replaced: la });
      expect(await store.claimPoll(lease(c, address), limits)).toEqual({ claimed: false });
      await store.releasePoll(again);
      expect((await store.claimPoll(lease(c, address), limits)).claimed).toBe(true);
      // Infinity: no cap.
      expect((await store.claimPoll(lease(user(), address), { maxPerAddress: Infinity, ttlMs: 60_000 })).claimed).toBe(true);
    });

    it('forgets a lease never released after its ttl (its instance died)', async () => {
      const address = `addr-${randomUUID()}`;
      const u = user();
      expect((await store.claimPoll(lease(u, address), { maxPerAddress: 1, ttlMs: 150 })).claimed).toBe(true);
      await eventually(async () => (await store.claimPoll(lease(user(), address), { maxPerAddress: 1, ttlMs: 60_000 })).claimed, { what: 'the dead lease to expire' });
      expect(await store.claimPoll(lease(u), LONG_TTL)).toEqual({ claimed: true, replaced: null });
    });

    it('carries "end this poll" to the instance holding it: ended, timeout, or gone when nobody listens', async () => {
      const instance = `i-${randomUUID()}`;
      const ended: string[] = [];
      const stop = await store.listen(instance, async (id) => {
        ended.push(id);
      });
      const held = lease(user(), '203.0.113.1', instance);
      expect(await store.endPoll(held, 5_000)).toBe('ended');
      expect(ended).toEqual([held.id]);
      await stop();
      expect(await store.endPoll(held, 5_000)).toBe('gone');
      expect(await store.endPoll(lease(user(), '203.0.113.1', `i-${randomUUID()}`), 5_000)).toBe('gone');

      const slow = `i-${randomUUID()}`;
      const stopSlow = await store.listen(slow, () => new Promise<void>(() => {}));
      expect(await store.endPoll(lease(user(), '203.0.113.1', slow), 100)).toBe('timeout');
      await stopSlow();
    });
  });
}

contract('memory', () => memoryGatewayStore());

describe('the redis-server the tests start', () => {
  it('is a failure, not a skip, when there is none: the error says how to install it', () => {
    expect(() => findRedisServer({ PATH: '/nonexistent' }, [])).toThrow(/redis-server not found.*apt-get install -y redis-server/);
    expect(() => findRedisServer({ REDIS_SERVER: '/nonexistent/redis-server', PATH: '/usr/bin' })).toThrow(/REDIS_SERVER=\/nonexistent\/redis-server is not executable/);
    expect(findRedisServer()).toMatch(/redis-server$/);
  });
});

describe('on Redis', () => {
  let redis: RedisServer | undefined;
  const stores: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });
  contract('redis', async () => {
    if (!redis) throw new Error('redis-server did not start');
    const store = redisGatewayStore({ url: redis.url, keyPrefix: `t-${randomUUID()}:` });
    stores.push(store);
    await store.ready();
    return store;
  });
});
