/**
 * The floor of issue #16: a long-poller written directly on one HTTP stack, with nothing of the
 * library's on the way — no client, no validation, no parsing beyond JSON.parse, no state
 * machine. `node` is node:http with a keep-alive agent (one per process), `fetch` is Node's
 * global fetch (undici), `axios` one shared axios instance. Each poll sends the session's
 * headers, follows a rotated token, and starts the next poll when the answer is read.
 */
import { Agent, request } from 'node:http';
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

const STACKS: Record<TransportName, PollOnce> = { node: viaNode, fetch: viaFetch, axios: viaAxios };

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
