/** IPC messages between a benchmark and its simulator child (sim-child.ts). */

export interface SimChildConfig {
  scenario: 'robot' | 'agent';
  timing?: Record<string, number>;
  /** Keep the full request log (needed to read a session's request sequence). */
  keepRequests?: boolean;
}

export type ChildCommand =
  | { id: number; type: 'say'; users: string[] }
  | { id: number; type: 'inject'; prefix: string; count: number; intervalMs: number; durationMs: number }
  | { id: number; type: 'stats' }
  | { id: number; type: 'resetStats' }
  | { id: number; type: 'requests'; userId: string }
  | { id: number; type: 'watchPolls'; users: string[] }
  | { id: number; type: 'pollArrivals'; userId: string }
  | { id: number; type: 'close' };

export type ChildReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface SimStats {
  /** Requests per API since the last reset. */
  byApi: Record<string, number>;
  /** The same per user-id prefix (the part before the first '-'), with that group's poll gaps. */
  byGroup: Record<string, { byApi: Record<string, number>; pollGapsMs: number[] }>;
  /** Protocol violations per rule since the last reset. */
  violations: Record<string, number>;
  /** Distinct TCP connections that carried a request since the last reset. */
  connections: number;
  /** Gaps between consecutive poll arrivals of the same user, ms. */
  pollGapsMs: number[];
  /** CPU the simulator process used since the last reset, ms. */
  cpuMs: number;
  elapsedMs: number;
  loopDelayP99Ms: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface SimInfo {
  url: string;
  channelId: string;
  credentials: { appKey: string; appSecret: string };
  pid: number;
}
