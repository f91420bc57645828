/** The client's transports by name, from the library under test (bench/lib/library.ts). */
import type { HttpTransport } from '../../src/index.js';
import { libraryModule } from './library.js';

export const TRANSPORTS = ['axios', 'node', 'fetch', 'net'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export function isTransportName(name: string | undefined): name is TransportName {
  return (TRANSPORTS as readonly (string | undefined)[]).includes(name);
}

/** A transport of the library's for `name`; undefined for axios, the client's default. */
export async function makeTransport(name: TransportName): Promise<HttpTransport | undefined> {
  if (name === 'node') return ((await import(libraryModule('src/client/transports/node.js').href)) as typeof import('../../src/client/transports/node.js')).nodeTransport();
  if (name === 'net') return ((await import(libraryModule('src/client/transports/net.js').href)) as typeof import('../../src/client/transports/net.js')).netTransport();
  if (name === 'fetch') return ((await import(libraryModule('src/client/transports/fetch.js').href)) as typeof import('../../src/client/transports/fetch.js')).fetchTransport();
  return undefined;
}
