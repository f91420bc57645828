/**
 * One request to AICC over node:http(s), answer buffered (the gateway inspects status, the
 * rotation header and the body before anything reaches the browser). Timeouts and aborts
 * destroy the upstream socket, so a waiting long poll ends upstream too.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string | number>;
  body?: Buffer;
  timeoutMs: number;
  /** Aborted when the browser goes away or the gateway closes. */
  signal: AbortSignal;
  maxResponseBytes: number;
}

export type UpstreamResult =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: Buffer }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'too-large' }
  /** Refused, reset, DNS: `code` is the Node error code, never a message (messages may hold URLs). */
  | { kind: 'network'; code: string };

export interface UpstreamAgents {
  http: HttpAgent;
  https: HttpsAgent;
  destroy(): void;
}

export function createAgents(): UpstreamAgents {
  const http = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}

export function upstreamRequest(spec: UpstreamRequest, agents: UpstreamAgents): Promise<UpstreamResult> {
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

    const finish = (result: UpstreamResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      if (result.kind !== 'response') request.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), spec.timeoutMs);
    spec.signal.addEventListener('abort', onAbort, { once: true });

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
