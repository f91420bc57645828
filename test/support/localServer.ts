/**
 * A test's own HTTP server on a free port of 127.0.0.1, and its closing (open keep-alive and
 * long-poll connections included, so a test never waits for them to time out).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free local port; the server's origin (`http://127.0.0.1:PORT`). */
export async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server and every connection it still holds. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
