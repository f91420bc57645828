/**
 * A minimal stand-in for AICC where the tests need control the simulator does not give: polls
 * that stay open until released (the simulator answers a user's older poll when a newer one
 * arrives), answers of a chosen shape, requests counted as they arrive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PATHS } from '../../src/client/index.js';

export interface StubRequest {
  method: string;
  path: string;
  body: string;
}

export interface StubUpstream {
  url: string;
  /** Every request that reached the stub, in arrival order. */
  requests: StubRequest[];
  /** Polls open right now (held until released, or until the gateway gives up on them). */
  readonly heldPolls: number;
  /** Polls as they came and went, in order: `open <n>` / `closed <n>` (n: the poll's arrival number, from 1). */
  pollLog: string[];
  /** Answers every held poll with an empty batch. */
  releasePolls(): void;
  /** What a path answers instead of the default `{"resultCode":"0"}` (text sent as is). */
  answers: Map<string, string>;
  /** How long a path waits before it answers, ms. */
  delays: Map<string, number>;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

export async function startStubUpstream(options: { holdPolls?: boolean } = {}): Promise<StubUpstream> {
  const holdPolls = options.holdPolls ?? true;
  const requests: StubRequest[] = [];
  const pollLog: string[] = [];
  let pollCount = 0;
  const held = new Set<ServerResponse>();
  const answers = new Map<string, string>();
  const delays = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const json = (res: ServerResponse, text: string): void => {
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const body = await readAll(req);
    requests.push({ method: req.method ?? '', path, body });
    const delay = delays.get(path);
    if (delay !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, delay);
        timers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
      });
      if (res.destroyed) return;
    }
    const custom = answers.get(path);
    if (custom !== undefined) return json(res, custom);
    if (path === API_PATHS.tokenByAkSk) {
      return json(res, JSON.stringify({ AccessToken: 'stub-access-token-0123456789', ApplyType: 'Bearer', CreateTime: String(Math.floor(Date.now() / 1000)), Expires: '600', Scope: '', AppKey: 'k', UserID: 'u' }));
    }
    if (path === API_PATHS.applyToken) return json(res, JSON.stringify({ resultCode: '0', token: `stub-upstream-token-${requests.length}-0123456789` }));
    if (path === API_PATHS.poll && holdPolls) {
      const n = ++pollCount;
      pollLog.push(`open ${n}`);
      held.add(res);
      res.on('close', () => {
        held.delete(res);
        pollLog.push(`closed ${n}`);
      });
      return;
    }
    json(res, JSON.stringify({ resultCode: '0' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const releasePolls = (): void => {
    for (const res of [...held]) json(res, JSON.stringify({ resultCode: '0', downlinkMessages: [] }));
    held.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get heldPolls() {
      return held.size;
    },
    pollLog,
    releasePolls,
    answers,
    delays,
    close: () =>
      new Promise<void>((resolve) => {
        releasePolls();
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
