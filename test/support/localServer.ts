/**
 * A test's own HTTP server (node:http, or node:http2's) on a free port of 127.0.0.1, and its
 * closing (open keep-alive and long-poll connections or HTTP/2 sessions included, so a test never
 * waits for them to time out).
 */
import type { Server } from 'node:http';
import type { Http2SecureServer, Http2Server, Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

type AnyServer = Server | Http2Server | Http2SecureServer;

/** The HTTP/2 sessions of each listening node:http2 server (it does not list them itself). */
const sessionsOf = new WeakMap<AnyServer, Set<Http2Session>>();

const isHttp1 = (server: AnyServer): server is Server => 'closeAllConnections' in server;

/** Listens on a free local port; the server's origin (`http://127.0.0.1:PORT`, https for a TLS server). */
export async function listenLocal(server: AnyServer): Promise<string> {
  if (!isHttp1(server)) {
    const sessions = new Set<Http2Session>();
    sessionsOf.set(server, sessions);
    server.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const scheme = 'setSecureContext' in server ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** HTTP/2 sessions a server listening through listenLocal has open now. */
export function openSessions(server: Http2Server | Http2SecureServer): number {
  return sessionsOf.get(server)?.size ?? 0;
}

/** Closes the server and every connection it still holds. */
export function closeServer(server: AnyServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    if (isHttp1(server)) server.closeAllConnections();
    else for (const session of sessionsOf.get(server) ?? []) session.destroy();
  });
}
