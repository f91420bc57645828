/**
 * The node transport hands Node host, port and path it split itself (one URL parse per origin,
 * not one per request): the server must see exactly what Node's own parse of the URL string
 * sends. Real HTTP against a local server, each URL sent both ways.
 */
import { createServer, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTransport } from '../../src/client/transports/node.js';
import { applyTarget } from '../../src/client/transports/target.js';
import { closeServer, listenLocal } from '../support/localServer.js';

/** What the server saw of each request: request line target, Host, Authorization. */
const seen: string[] = [];
const server = createServer((req, res) => {
  seen.push(`${req.method} ${req.url} host=${req.headers.host} auth=${req.headers.authorization ?? '-'}`);
  res.end('{}');
});
let base = '';
const transport = nodeTransport();

beforeAll(async () => {
  base = await listenLocal(server);
});
afterAll(async () => {
  transport.destroy();
  await closeServer(server);
});

/** What the server sees when Node parses the URL string itself. */
function nodeParsed(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(seen.pop()!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function viaTransport(url: string): Promise<string> {
  const answer = await transport.request({ method: 'GET', url, headers: {}, body: undefined, timeoutMs: 10_000 });
  expect(answer.status).toBe(200);
  return seen.pop()!;
}

describe('node transport: request targets', () => {
  const paths = [
    '/apiaccess/ccmessaging/poll?receiverId=u-1&channel=WEB&isNeedRead=true',
    '/apiaccess/ccmessaging/poll?receiverId=%E5%AE%A2%20x%2Fy&channel=WEB',
    '/a/../b?x=1',
    '/a/./b',
    '/with space/é?q=a b',
    '/a\\b',
    "/it's?q='x'",
    '/',
  ];
  for (const path of paths) {
    it(`sends ${JSON.stringify(path)} as Node's URL parse does`, async () => {
      const url = base + path;
      expect(await viaTransport(url)).toBe(await nodeParsed(url));
    });
  }

  it('a URL with credentials is sent as Node sends it (Authorization from them)', async () => {
    const url = base.replace('http://', 'http://user:p%40ss@') + '/x';
    const sent = await viaTransport(url);
    expect(sent).toContain('auth=Basic ');
    expect(sent).toBe(await nodeParsed(url));
  });

  it('splits plain URLs itself and leaves the others to Node', () => {
    /** The options applyTarget wrote for `url`, or null when it left the URL to Node. */
    const splitTarget = (url: string): object | null => {
      const options = {};
      return applyTarget(options, url) ? options : null;
    };
    expect(splitTarget('http://127.0.0.1:8080/p?q=1')).toEqual({ protocol: 'http:', hostname: '127.0.0.1', port: '8080', path: '/p?q=1' });
    expect(splitTarget('https://[::1]:8443/p')).toEqual({ protocol: 'https:', hostname: '::1', port: '8443', path: '/p' });
    expect(splitTarget('http://u:p@host/p')).toBeNull();
    expect(splitTarget('http://host/a/../b')).toBeNull();
    expect(splitTarget('http://host/a b')).toBeNull();
    expect(splitTarget('http://host')).toBeNull();
  });
});
