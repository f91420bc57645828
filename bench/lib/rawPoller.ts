/**
 * The floor of issue #16: a long-poller written directly on one HTTP stack, with nothing of the
 * library's on the way — no client, no validation, no parsing beyond JSON.parse, no state
 * machine. `node` is node:http with a keep-alive agent (one per process), `fetch` is Node's
 * global fetch (undici), `axios` one shared axios instance, `net` HTTP/1.1 written on a socket.
 * Each poll sends the session's headers, follows a rotated token, and starts the next poll when
 * the answer is read.
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import axios from 'axios';
import { API_PATHS, HEADERS } from '../../src/client/protocol.js';
import type { TransportName } from './transports.js';

type PollOnce = (url: string, headers: Record<string, string>) => Promise<{ body: string; rotated: string | undefined }>;

const agent = new Agent({ keepAlive: true });
const shared = axios.create({ maxRedirects: 0, transformResponse: (data: unknown) => data });

const header = (value: string | string[] | null | undefined): string | undefined => (Array.isArray(value) ? value[0] : (value ?? undefined));

const viaNode: PollOnce = (url, headers) =>
  new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks).toString('utf8'), rotated: header(res.headers[HEADERS.ccmessagingToken]) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });

const viaFetch: PollOnce = async (url, headers) => {
  const res = await fetch(url, { headers });
  return { body: await res.text(), rotated: res.headers.get(HEADERS.ccmessagingToken) ?? undefined };
};

const viaAxios: PollOnce = async (url, headers) => {
  const res = await shared.get<string>(url, { headers });
  return { body: res.data, rotated: header(res.headers[HEADERS.ccmessagingToken] as string | undefined) };
};

/**
 * HTTP/1.1 by hand on one socket per poller (the poll's URL names the user), kept open: the
 * floor under transport-net. Reads only what the simulator answers a poll with: a
 * Content-Length body.
 */
const sockets = new Map<string, { socket: Socket; target: string; host: string }>();
const ROTATED = new RegExp(`^${HEADERS.ccmessagingToken}: *(.*)$`, 'im');
const viaNet: PollOnce = (url, headers) =>
  new Promise((resolve, reject) => {
    let line = sockets.get(url);
    if (!line || line.socket.destroyed) {
      const u = new URL(url);
      line = { socket: connect(Number(u.port), u.hostname).setNoDelay(true), target: u.pathname + u.search, host: u.host };
      sockets.set(url, line);
    }
    const { socket } = line;
    let head = `GET ${line.target} HTTP/1.1\r\nhost: ${line.host}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    socket.write(`${head}\r\n`);
    let received: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      received = received ? Buffer.concat([received, chunk]) : chunk;
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = received.toString('latin1', 0, end);
      const length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.off('data', onData);
      socket.off('error', reject);
      resolve({ body: received.toString('utf8', end + 4, end + 4 + length), rotated: ROTATED.exec(text)?.[1]?.trim() });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });

const STACKS: Record<TransportName, PollOnce> = { node: viaNode, fetch: viaFetch, axios: viaAxios, net: viaNet };

/**
 * Long-polls `userId` until `stopped()` says so; `onPoll` after each answer, `onError` after a failure. The session must
 * exist (token applied, CONNECT sent): `token` and the gateway headers are what it carries.
 */
export async function rawLongPoll(
  stack: TransportName,
  baseUrl: string,
  userId: string,
  gatewayHeaders: Record<string, string>,
  token: string,
  stopped: () => boolean,
  onPoll: () => void,
  onError: () => void,
): Promise<void> {
  const pollOnce = STACKS[stack];
  const url = `${baseUrl}${API_PATHS.poll}?receiverId=${encodeURIComponent(userId)}&channel=WEB`;
  const headers: Record<string, string> = { ...gatewayHeaders, [HEADERS.ccmessagingToken]: token };
  while (!stopped()) {
    try {
      const { body, rotated } = await pollOnce(url, headers);
      JSON.parse(body);
      if (rotated) headers[HEADERS.ccmessagingToken] = rotated;
      onPoll();
    } catch {
      onError(); // counted; the loop goes on, as the library's would after a failed poll
    }
  }
}
