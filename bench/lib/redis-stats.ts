/**
 * What a Redis did between two readings, from its own counters: INFO commandstats (calls and
 * server time per command) and INFO cpu. Commands a Lua script runs are counted as commands of
 * their own next to the EVALSHA that ran them, so "round trips" (what a client sent) and
 * "commands" (what Redis executed) are told apart by name. INFO itself is left out: the reading
 * is not the work.
 */

export interface CommandCount {
  calls: number;
  /** Server time spent in the command, µs. */
  usec: number;
}

export interface RedisCounters {
  commands: Record<string, CommandCount>;
  /** used_cpu_user + used_cpu_sys, ms. */
  cpuMs: number;
}

/** The commands a client sends per request of the gateway's store (src/gateway/redis.ts). */
export const ROUND_TRIP_COMMANDS: ReadonlySet<string> = new Set(['evalsha', 'eval', 'publish']);

/** Parses the text of `INFO commandstats` and `INFO cpu` (one string or both concatenated). */
export function parseRedisInfo(info: string): RedisCounters {
  const commands: Record<string, CommandCount> = {};
  let cpuMs = 0;
  for (const raw of info.split(/\r?\n/)) {
    const line = raw.trim();
    const command = /^cmdstat_([^:]+):(.*)$/.exec(line);
    if (command) {
      const fields = Object.fromEntries(command[2]!.split(',').map((kv) => kv.split('=') as [string, string]));
      const name = command[1]!.toLowerCase();
      if (name === 'info') continue;
      commands[name] = { calls: Number(fields['calls'] ?? 0), usec: Number(fields['usec'] ?? 0) };
      continue;
    }
    const cpu = /^used_cpu_(user|sys):([\d.]+)$/.exec(line);
    if (cpu) cpuMs += Number(cpu[2]) * 1000;
  }
  return { commands, cpuMs };
}

/** Reads both sections now, over any client that sends raw commands (node-redis's sendCommand). */
export async function readRedisCounters(client: { sendCommand(args: string[]): Promise<unknown> }): Promise<RedisCounters> {
  const commandstats = String(await client.sendCommand(['INFO', 'commandstats']));
  const cpu = String(await client.sendCommand(['INFO', 'cpu']));
  return parseRedisInfo(`${commandstats}\n${cpu}`);
}

export interface RedisWork {
  /** Commands Redis executed (script-internal ones included), by name. */
  byCommand: Record<string, number>;
  commands: number;
  /** What the clients sent (ROUND_TRIP_COMMANDS). */
  roundTrips: number;
  /** Server time in commands, µs (a script's time includes its inner commands'; counted once). */
  usec: number;
  cpuMs: number;
}

/** after − before. A command new since `before` counts from zero. */
export function redisWork(before: RedisCounters, after: RedisCounters): RedisWork {
  const byCommand: Record<string, number> = {};
  let commands = 0;
  let roundTrips = 0;
  let usec = 0;
  for (const [name, now] of Object.entries(after.commands)) {
    const was = before.commands[name] ?? { calls: 0, usec: 0 };
    const calls = now.calls - was.calls;
    if (calls === 0) continue;
    byCommand[name] = calls;
    commands += calls;
    if (ROUND_TRIP_COMMANDS.has(name)) {
      roundTrips += calls;
      usec += now.usec - was.usec;
    }
  }
  return { byCommand, commands, roundTrips, usec, cpuMs: after.cpuMs - before.cpuMs };
}
