/**
 * The gateway's store on Redis, shared by a fleet of instances behind a load balancer
 * (docs/security.md, "A fleet of gateways on Redis"). Built on `redis` (node-redis, Redis's own
 * maintained client), an optional peer dependency loaded on first use: an app without a fleet
 * never needs it.
 *
 * - Rate-limit counters: INCR + PEXPIRE on first hit, in one script.
 * - Each user's one open poll: a string key holding the lease, replaced atomically by the claim
 *   script, which also counts open polls per address in a sorted set (score: when the lease may
 *   be forgotten, on Redis's clock, so instances' clocks do not matter and a dead instance's
 *   leases fall out by themselves).
 * - "End this poll": PUBLISH on the holding instance's channel; it answers on the asker's reply
 *   channel once the poll is over. No subscriber on the channel: the instance is gone.
 *
 * Commands are never queued while disconnected (`disableOfflineQueue`): they fail at once, and
 * the gateway uses its own counters meanwhile (fleet.ts). One connection for commands, one for
 * subscriptions; both reconnect by themselves, and subscriptions are restored.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { EndPollOutcome, GatewayStore, PollLease } from './types.js';
import { withTimeout } from './store.js';

export interface RedisGatewayStoreOptions {
  /** `redis[s]://[[username][:password]@][host][:port][/db-number]` */
  url: string;
  /** Prefix of every key and channel. Default `aicc-gw:`. Give fleets sharing one Redis their own. */
  keyPrefix?: string;
  /** Time to open a connection before it counts as failed. Default 2000 ms. */
  connectTimeoutMs?: number;
  /**
   * Every connection error (refused, reset, …). The gateway logs outages itself in fixed words;
   * this is for your own monitoring. The error's message may hold the URL. Default: ignored.
   */
  onError?: (error: Error) => void;
}

export interface RedisGatewayStore extends GatewayStore {
  /**
   * Resolves once both connections are up (await it before the server listens, so the first
   * requests count in Redis); rejects after `timeoutMs` (default 10 000) without closing anything:
   * the store keeps connecting and the gateway uses its own counters meanwhile.
   */
  ready(timeoutMs?: number): Promise<void>;
  /** Closes both connections; pending calls reject. */
  close(): Promise<void>;
}

/** Minimal view of a node-redis client: what this store calls. */
interface Client {
  isReady: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  once(event: 'ready', listener: () => void): unknown;
  duplicate(): Client;
  sendCommand(args: string[]): Promise<unknown>;
  publish(channel: string, message: string): Promise<number>;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
}

interface Script {
  source: string;
  /** EVALSHA names a script by the SHA-1 of its source. */
  sha: string;
}

const lua = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

const HIT = lua(`local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`);

/** KEYS: user's poll, address's open polls. ARGV: lease JSON, lease id, max per address, ttl ms. */
const CLAIM = lua(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local old = redis.call('GET', KEYS[1])
-- A lease in its last millisecond is gone: its address entry (score now + ttl) just expired too.
if old and redis.call('PTTL', KEYS[1]) <= 1 then old = false end
local oldId = false
if old then oldId = cjson.decode(old)['id'] end
local count = redis.call('ZCARD', KEYS[2])
if oldId and redis.call('ZSCORE', KEYS[2], oldId) then count = count - 1 end
if count >= tonumber(ARGV[3]) then return {0} end
if oldId then redis.call('ZREM', KEYS[2], oldId) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
if old then return {1, old} end
return {1}`);

/** KEYS: user's poll, address's open polls. ARGV: lease id. */
const RELEASE = lua(`redis.call('ZREM', KEYS[2], ARGV[1])
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current)['id'] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`);

async function loadRedis(): Promise<{ createClient: (options: object) => Client }> {
  try {
    return (await import('redis')) as unknown as { createClient: (options: object) => Client };
  } catch {
    throw new Error('redisGatewayStore needs the `redis` package: npm install redis');
  }
}

function isLease(value: unknown): value is PollLease {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v['id'] === 'string' && typeof v['instance'] === 'string' && typeof v['userId'] === 'string' && typeof v['address'] === 'string';
}

/**
 * A `GatewayStore` on Redis. Returns at once; connects in the background, and keeps
 * reconnecting. Pass the same `url` (and `keyPrefix`) to every instance of the fleet.
 */
export function redisGatewayStore(options: RedisGatewayStoreOptions): RedisGatewayStore {
  if (typeof options?.url !== 'string' || !/^rediss?:\/\//.test(options.url)) throw new TypeError('redisGatewayStore: url must be redis:// or rediss://');
  const prefix = options.keyPrefix ?? 'aicc-gw:';
  const onError = options.onError ?? (() => {});
  const replyChannel = `${prefix}reply:${randomUUID()}`;
  /** Channels to stay subscribed to, and what each one calls. */
  const wanted = new Map<string, (message: string) => void>();
  /** Confirmed subscriptions (node-redis restores them after a reconnect). */
  const subscribed = new Set<string>();
  const pendingEnds = new Map<number, () => void>();
  let endSequence = 0;
  let closed = false;

  const clients = loadRedis().then(({ createClient }) => {
    const command = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? 2000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
      },
    });
    const subscriber = command.duplicate();
    for (const client of [command, subscriber]) {
      client.on('error', (error) => {
        try {
          onError(error);
        } catch {
          // A throwing handler must not take the process down (an unhandled 'error' event would).
        }
      });
      client.connect().catch(() => {
        // Keeps retrying (reconnectStrategy); commands fail at once meanwhile.
      });
    }
    subscriber.on('ready', () => void resubscribe(subscriber));
    return { command, subscriber };
  });
  // A missing `redis` package surfaces on the first call, not as an unhandled rejection.
  clients.catch(() => {});

  async function resubscribe(subscriber: Client): Promise<void> {
    for (const [channel, listener] of wanted) {
      if (subscribed.has(channel) || !subscriber.isReady) continue;
      try {
        // Two calls racing here are harmless: node-redis keeps a channel's listeners in a Set.
        await subscriber.subscribe(channel, listener);
        subscribed.add(channel);
      } catch {
        // Not connected after all: the next 'ready' tries again.
      }
    }
  }

  async function want(channel: string, listener: (message: string) => void): Promise<void> {
    wanted.set(channel, listener);
    const { subscriber } = await clients;
    await resubscribe(subscriber);
  }

  async function run({ source, sha }: Script, keys: string[], args: string[]): Promise<unknown> {
    const { command } = await clients;
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await command.sendCommand(['EVALSHA', sha, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return command.sendCommand(['EVAL', source, ...tail]);
    }
  }

  const pollKey = (userId: string) => `${prefix}poll:${encodeURIComponent(userId)}`;
  const addressKey = (address: string) => `${prefix}poll-addr:${encodeURIComponent(address)}`;
  const instanceChannel = (instance: string) => `${prefix}instance:${instance}`;

  const onReply = (message: string): void => {
    const n = Number(message);
    pendingEnds.get(n)?.();
  };

  return {
    async hit(key, windowMs) {
      return Number(await run(HIT, [`${prefix}${key}`], [String(windowMs)]));
    },

    async claimPoll(lease, { maxPerAddress, ttlMs }) {
      const reply = (await run(CLAIM, [pollKey(lease.userId), addressKey(lease.address)], [
        JSON.stringify(lease),
        lease.id,
        String(Number.isFinite(maxPerAddress) ? maxPerAddress : Number.MAX_SAFE_INTEGER),
        String(ttlMs),
      ])) as [number, string?];
      if (Number(reply[0]) !== 1) return { claimed: false };
      let replaced: PollLease | null = null;
      if (typeof reply[1] === 'string') {
        const parsed: unknown = JSON.parse(reply[1]);
        replaced = isLease(parsed) ? parsed : null;
      }
      return { claimed: true, replaced };
    },

    async releasePoll(lease) {
      await run(RELEASE, [pollKey(lease.userId), addressKey(lease.address)], [lease.id]);
    },

    async endPoll(lease, timeoutMs): Promise<EndPollOutcome> {
      await want(replyChannel, onReply);
      if (!subscribed.has(replyChannel)) throw new Error('reply channel not subscribed');
      const { command } = await clients;
      const n = ++endSequence;
      const ended = new Promise<EndPollOutcome>((resolve) => pendingEnds.set(n, () => resolve('ended')));
      try {
        const receivers = await command.publish(instanceChannel(lease.instance), JSON.stringify({ id: lease.id, reply: replyChannel, n }));
        if (receivers === 0) return 'gone';
        return await withTimeout(ended, timeoutMs, 'timeout');
      } finally {
        pendingEnds.delete(n);
      }
    },

    async listen(instance, onEnd) {
      const channel = instanceChannel(instance);
      const listener = (message: string): void => {
        let request: unknown;
        try {
          request = JSON.parse(message);
        } catch {
          return;
        }
        const { id, reply, n } = (request ?? {}) as Record<string, unknown>;
        if (typeof id !== 'string' || typeof reply !== 'string' || !reply.startsWith(`${prefix}reply:`) || typeof n !== 'number') return;
        void onEnd(id)
          .catch(() => {})
          .then(async () => (await clients).command.publish(reply, String(n)))
          .catch(() => {
            // The asker stops waiting after its timeout.
          });
      };
      await want(channel, listener);
      return async () => {
        wanted.delete(channel);
        if (!subscribed.delete(channel)) return;
        try {
          await (await clients).subscriber.unsubscribe(channel);
        } catch {
          // Gone with the connection.
        }
      };
    },

    async ready(timeoutMs = 10_000) {
      const { command, subscriber } = await clients;
      const up = (client: Client) => (client.isReady ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', resolve)));
      const result = await withTimeout(
        Promise.all([up(command), up(subscriber)]).then(() => 'ready' as const),
        timeoutMs,
        'timeout' as const,
      );
      if (result === 'timeout') throw new Error(`redisGatewayStore: not connected after ${timeoutMs} ms`);
    },

    async close() {
      if (closed) return;
      closed = true;
      const { command, subscriber } = await clients;
      command.destroy();
      subscriber.destroy();
    },
  };
}
