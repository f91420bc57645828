/**
 * One request to AICC over node:http(s), answer buffered (the gateway inspects status, the
 * rotation header and the body before anything reaches the browser). Timeouts and aborts
 * destroy the upstream socket, so a waiting long poll ends upstream too.
 *
 * Two pools (issue 17.1): long polls hold their socket for the whole window, so they get a pool
 * of their own (as large as the open-file limit allows, by default); every other API keeps a
 * bounded pool no poll can fill.
 * The timeout counts from the moment a request has its socket; the wait for a socket is bounded
 * separately (→ 'busy').
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { openFileLimit } from './openFiles.js';
import type { GatewayFront } from './types.js';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string | number>;
  body?: Buffer;
  /** From the moment the request has a socket (connecting included). */
  timeoutMs: number;
  /** Longest wait for a socket of the pool. Default timeoutMs. */
  queueTimeoutMs?: number;
  /** Aborted when the browser goes away or the gateway closes. */
  signal: AbortSignal;
  maxResponseBytes: number;
}

export type UpstreamResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'timeout' }
  /** No socket of the pool became free within queueTimeoutMs. */
  | { kind: 'busy' }
  | { kind: 'aborted' }
  | { kind: 'too-large' }
  /** Refused, reset, DNS: `code` is the Node error code, never a message (messages may hold URLs). */
  | { kind: 'network'; code: string };

export interface UpstreamPool {
  http: HttpAgent;
  https: HttpsAgent;
}

export interface UpstreamAgents {
  /** Everything but poll. */
  api: UpstreamPool;
  /** Long polls only. */
  poll: UpstreamPool;
  destroy(): void;
}

/** `limits.upstreamSockets`: kept-alive upstream sockets for every API but poll. */
export const DEFAULT_UPSTREAM_SOCKETS = 256;
/** Idle kept-alive poll sockets kept for the next poll (a poll is followed by the next at once). */
const POLL_FREE_SOCKETS = 4096;
/**
 * Descriptors kept for everything but the two pools: the process's own (stdio, the event loop,
 * listening sockets, a store's connections, log files) and connections accepted but not yet
 * upstream.
 */
export const RESERVED_DESCRIPTORS = 128;

/**
 * `limits.pollSockets` by default: what the open-file limit leaves for polls once the API pool
 * and the reserve are set aside, at `perCall` descriptors per poll and per API call: two when
 * each customer has a connection of their own (theirs and the upstream socket), one behind a
 * balancer that multiplexes them as streams of a few connections (the upstream socket only).
 * Polls beyond it wait in the gateway for a socket; were the pool unbounded, polls would take the
 * last descriptors and the server could no longer accept anyone's connection (other customers'
 * calls reset). Unbounded where the limit is unknown.
 */
export function defaultPollSockets(openFiles: number | null, apiSockets: number, perCall: 1 | 2 = 2): number {
  if (openFiles === null) return Infinity;
  return Math.max(1, Math.floor((openFiles - perCall * apiSockets - RESERVED_DESCRIPTORS) / perCall));
}

function pool(maxSockets: number, maxFreeSockets: number): UpstreamPool {
  const options = { keepAlive: true, maxSockets, maxFreeSockets };
  return { http: new HttpAgent(options), https: new HttpsAgent(options) };
}

export function createAgents(sockets: { api?: number; poll?: number; front?: GatewayFront } = {}): UpstreamAgents {
  const apiSockets = sockets.api ?? DEFAULT_UPSTREAM_SOCKETS;
  const pollSockets = sockets.poll ?? defaultPollSockets(openFileLimit(), apiSockets, sockets.front === 'multiplexed' ? 1 : 2);
  const api = pool(apiSockets, Math.min(apiSockets, 256));
  const poll = pool(pollSockets, Math.min(pollSockets, POLL_FREE_SOCKETS));
  return {
    api,
    poll,
    destroy() {
      for (const agent of [api.http, api.https, poll.http, poll.https]) agent.destroy();
    },
  };
}

export function upstreamRequest(spec: UpstreamRequest, agents: UpstreamPool): Promise<UpstreamResult> {
  return new Promise<UpstreamResult>((resolve) => {
    if (spec.signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let settled = false;
    const isHttps = spec.url.protocol === 'https:';
    const request = (isHttps ? httpsRequest : httpRequest)(spec.url, {
      method: spec.method,
      headers: spec.headers,
      agent: isHttps ? agents.https : agents.http,
    });

    let timer: NodeJS.Timeout | undefined = setTimeout(() => finish({ kind: 'busy' }), spec.queueTimeoutMs ?? spec.timeoutMs);
    const finish = (result: UpstreamResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      if (result.kind !== 'response') request.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    spec.signal.addEventListener('abort', onAbort, { once: true });
    // The clock starts when the pool hands out a socket (new or kept alive), not while queued.
    request.once('socket', () => {
      if (settled) return;
      clearTimeout(timer);
      timer = setTimeout(() => finish({ kind: 'timeout' }), spec.timeoutMs);
    });

    request.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'network', code: error.code ?? 'ERROR' }));
    request.on('response', (response) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > spec.maxResponseBytes) {
        response.destroy();
        finish({ kind: 'too-large' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > spec.maxResponseBytes) {
          response.destroy();
          finish({ kind: 'too-large' });
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () =>
        finish({ kind: 'response', status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks, size) }),
      );
      response.on('error', () => finish({ kind: 'network', code: 'ECONNRESET' }));
      response.on('aborted', () => finish({ kind: 'network', code: 'ECONNRESET' }));
    });
    request.end(spec.body);
  });
}
