/** bench/gateway-fleet.ts's reading of Redis's own counters: round trips apart from the commands scripts run. */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisInfo, readRedisCounters, redisWork } from '../../bench/lib/redis-stats.js';
import { startRedisServer, type RedisServer } from '../gateway/redisServer.js';

// As Redis 7.0 answers INFO commandstats and INFO cpu (CRLF, more fields than are read).
const BEFORE = [
  '# Commandstats',
  'cmdstat_evalsha:calls=10,usec=500,usec_per_call=50.00,rejected_calls=0,failed_calls=0',
  'cmdstat_incr:calls=10,usec=40,usec_per_call=4.00,rejected_calls=0,failed_calls=0',
  'cmdstat_info:calls=3,usec=90,usec_per_call=30.00,rejected_calls=0,failed_calls=0',
  '',
  '# CPU',
  'used_cpu_sys:1.500000',
  'used_cpu_user:2.250000',
  'used_cpu_sys_children:0.000000',
  'used_cpu_user_main_thread:2.000000',
].join('\r\n');
const AFTER = [
  '# Commandstats',
  'cmdstat_evalsha:calls=14,usec=700,usec_per_call=50.00,rejected_calls=0,failed_calls=0',
  'cmdstat_incr:calls=14,usec=56,usec_per_call=4.00,rejected_calls=0,failed_calls=0',
  'cmdstat_publish:calls=1,usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0',
  'cmdstat_pexpire:calls=2,usec=6,usec_per_call=3.00,rejected_calls=0,failed_calls=0',
  'cmdstat_info:calls=5,usec=150,usec_per_call=30.00,rejected_calls=0,failed_calls=0',
  '',
  '# CPU',
  'used_cpu_sys:1.510000',
  'used_cpu_user:2.270000',
  'used_cpu_sys_children:0.500000',
].join('\r\n');

describe('Redis counters for the fleet bench', () => {
  it('reads calls and server time per command, leaves INFO out, and sums user + system CPU (children and per-thread lines not)', () => {
    const before = parseRedisInfo(BEFORE);
    expect(before.commands).toEqual({ evalsha: { calls: 10, usec: 500 }, incr: { calls: 10, usec: 40 } });
    expect(before.cpuMs).toBeCloseTo(3750, 6);
  });

  it('tells what clients sent (scripts, publishes) from what Redis executed, commands new since the first reading included', () => {
    const work = redisWork(parseRedisInfo(BEFORE), parseRedisInfo(AFTER));
    expect(work.byCommand).toEqual({ evalsha: 4, incr: 4, publish: 1, pexpire: 2 });
    expect(work.commands).toBe(11);
    expect(work.roundTrips).toBe(5);
    // Server time of the round trips only: a script's includes its inner commands'.
    expect(work.usec).toBe(205);
    expect(work.cpuMs).toBeCloseTo(30, 6);
  });

  describe('against a real redis-server', () => {
    let redis: RedisServer;
    let client: ReturnType<typeof createClient>;
    beforeAll(async () => {
      redis = await startRedisServer();
      client = createClient({ url: redis.url });
      await client.connect();
    });
    afterAll(async () => {
      await client?.quit();
      await redis?.stop();
    });

    it('counts one round trip for a script and one for a publish, and the commands inside the script as commands', async () => {
      const before = await readRedisCounters(client);
      await client.sendCommand(['EVAL', "redis.call('INCR', KEYS[1]); return redis.call('PEXPIRE', KEYS[1], 1000)", '1', 'bench-test']);
      await client.sendCommand(['PUBLISH', 'bench-test', 'x']);
      const work = redisWork(before, await readRedisCounters(client));
      expect(work.byCommand).toEqual({ eval: 1, incr: 1, pexpire: 1, publish: 1 });
      expect(work.roundTrips).toBe(2);
      expect(work.commands).toBe(4);
    });
  });
});
