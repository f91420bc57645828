/**
 * A bare HTTP/2 client for the gateway tests: requests as streams of one session (a balancer's
 * connection, or a browser's), answers read whole, and a fetch over the same session for
 * gatewayTokenProvider.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawAnswer } from './helpers.js';

export interface H2Request {
  method?: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), for the TLS servers' tests. */
export function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Connects with prior knowledge (h2c) to `origin`; resolves once the session is up. */
export function h2Connect(origin: string, options: Parameters<typeof connect>[1] = {}): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, options);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** Starts a request; the stream, for a test that cancels it. */
export function h2Open(session: ClientHttp2Session, request: H2Request): ClientHttp2Stream {
  // A GET ends with its headers unless a body is given (node:http2 would end it anyway).
  const stream = session.request({ ':method': request.method ?? 'POST', ':path': request.path, ...request.headers }, { endStream: request.body === undefined });
  if (request.body !== undefined) stream.end(request.body);
  return stream;
}

/** The whole answer of a stream. */
export function h2Answer(stream: ClientHttp2Stream): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.once('response', (h) => (headers = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve({ status: Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0), headers, body: Buffer.concat(chunks).toString('utf8') }));
    stream.once('error', reject);
  });
}

export function h2(session: ClientHttp2Session, request: H2Request): Promise<RawAnswer> {
  return h2Answer(h2Open(session, request));
}

/** A `fetch` over `session` (for gatewayTokenProvider): method, headers and a string body only. */
export function h2Fetch(session: ClientHttp2Session): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers: OutgoingHttpHeaders = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const answer = await h2(session, { method: init?.method ?? 'GET', path: url.pathname + url.search, headers, ...(typeof init?.body === 'string' ? { body: init.body } : {}) });
    const out = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) if (!name.startsWith(':') && value !== undefined) out.set(name, String(value));
    return new Response(answer.body, { status: answer.status, headers: out });
  };
}
