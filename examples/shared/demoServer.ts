/**
 * The demo back end, in one node:http server:
 *
 *   browser ──/aicc/*──► gateway (holds AK/SK, seals the ccmessaging-token) ──► simulator
 *           ──/demo/identity──► who am I (a demo cookie; a real app uses its own login)
 *           ──/demo/sim/*────► scripting the simulator from the page (play the agent)
 *           ──everything else─► the example app (Vite dev middleware, or a production build)
 *
 * The browser never sees the app key, the app secret, the API Fabric AccessToken or the real
 * ccmessaging-token: it only talks to this origin. `npm run demo:web` runs it for the React
 * example; the e2e test starts it in-process with `mode: 'build'`.
 *
 * Node only. In your own server the imports are `aicc-chat-machine/simulator` and the gateway
 * entry; the examples import the source tree so they run without a build.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGateway, type Gateway, type GatewayIdentity, type GatewayLogEntry } from '../../src/gateway/index.js';
import {
  resolveScenario,
  SCENARIO_NAMES,
  startSimulator,
  type ScenarioName,
  type ScenarioOverrides,
  type Simulator,
  type SimulatorTiming,
} from '../../src/simulator/index.js';
import { makePng } from './png.js';
import type { Rolldown } from 'vite';

export type ExampleApp = 'react' | 'vue' | 'svelte';
export const EXAMPLE_APPS: readonly ExampleApp[] = ['react', 'vue', 'svelte'];

export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(EXAMPLES_DIR, '..');

/** Where the example app lives (its index.html and vite.config.ts). */
export function exampleRoot(app: ExampleApp): string {
  return path.join(EXAMPLES_DIR, app);
}

/** The path the gateway is mounted on; the page reads it from /demo/identity. */
export const GATEWAY_PATH = '/aicc';
export const USER_COOKIE = 'aicc_demo_user';
const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,24}$/;

export interface DemoServerOptions {
  /** Which example to serve. Default 'react'. */
  app?: ExampleApp;
  /**
   * Serve the Vite app in this directory (its index.html and vite.config.ts) instead of
   * examples/<app>: test/e2e/react-starter.test.ts serves a copy of examples/react-starter with
   * the packed package installed beside it.
   */
  root?: string;
  /**
   * 'dev': Vite dev middleware with hot reload (default). 'build': `vite build` into `outDir`
   * first, then serve the static files (what the e2e test does). 'prebuilt': serve an
   * existing build in `outDir` as it is.
   */
  mode?: 'dev' | 'build' | 'prebuilt';
  /** Build output for mode 'build'. Default examples/<app>/dist. */
  outDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port; see `url`). */
  port?: number;
  /** Simulator scenario. Default 'robot-then-agent'. */
  scenario?: ScenarioName | ScenarioOverrides;
  /** Simulator timing (defaults are human speed). */
  simulatorTiming?: Partial<SimulatorTiming>;
  /** Serve the /demo/sim/* scripting routes. Default true. */
  controls?: boolean;
  /** Gateway log lines (never secrets). Default: warnings and errors to `log`. */
  onGatewayLog?: (entry: GatewayLogEntry) => void;
  /** Where the server's own messages go. Default console.log. */
  log?: (line: string) => void;
}

export interface DemoServer {
  /** http://HOST:PORT/ — open this in a browser. */
  url: string;
  app: ExampleApp;
  sim: Simulator;
  gateway: Gateway;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The production build's Content-Security-Policy: scripts and styles from this origin only, no
 * inline script, pictures from blob: (downloaded files become object URLs). Even if a message
 * were ever injected as HTML, its inline handlers would not run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function cookieValue(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function userIdOf(req: Pick<IncomingMessage, 'headers'>): string | null {
  const id = cookieValue(req, USER_COOKIE);
  return id !== undefined && USER_ID_PATTERN.test(id) ? id : null;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('body must be a JSON object');
  return value as Record<string, unknown>;
}

/** What the page needs to build its session (and what identify() binds the gateway to). */
export interface DemoIdentity extends GatewayIdentity {
  nickname: string;
  /** Where the gateway is mounted on this origin. */
  gatewayPath: string;
  /** The simulator's scenario, for the page's header. */
  scenario: string;
  /** Every scenario the page may switch to (the simulator's table). */
  scenarios: readonly string[];
}

function identityFor(userId: string, sim: Simulator): DemoIdentity {
  return {
    userId,
    userName: 'Demo customer',
    nickname: 'You',
    channelId: sim.channelId,
    locale: 'en_US',
    gatewayPath: GATEWAY_PATH,
    scenario: sim.scenario.name,
    scenarios: SCENARIO_NAMES,
  };
}

/**
 * Simulator scripting for the page's "play the agent" panel. Demo only: a real deployment has
 * real agents and no such routes.
 */
async function handleControl(action: string, req: IncomingMessage, res: ServerResponse, sim: Simulator): Promise<void> {
  if (action === 'info' && req.method === 'GET') {
    sendJson(res, 200, { scenario: sim.scenario.name, scenarios: SCENARIO_NAMES, workingHours: sim.scenario.workingHours });
    return;
  }
  const userId = userIdOf(req);
  if (action === 'session' && req.method === 'GET') {
    sendJson(res, 200, userId ? (sim.session(userId) ?? null) : null);
    return;
  }
  if (req.method !== 'POST') return sendJson(res, 404, { error: 'not found' });
  // application/json makes a cross-site form post impossible and a cross-origin fetch need a
  // preflight, which this server never grants.
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return sendJson(res, 415, { error: 'application/json only' });
  const body = await readJson(req);
  if (action === 'scenario') {
    const name = body['name'];
    if (typeof name !== 'string' || !(SCENARIO_NAMES as readonly string[]).includes(name)) {
      return sendJson(res, 400, { error: `name must be one of ${SCENARIO_NAMES.join(', ')}` });
    }
    // The live scenario: the next CONNECT sees the new configuration.
    Object.assign(sim.scenario, resolveScenario(name as ScenarioName));
    return sendJson(res, 200, { scenario: sim.scenario.name });
  }
  if (!userId) return sendJson(res, 401, { error: 'no demo user: load the page first' });
  const actions: Record<string, () => unknown> = {
    'agent-say': () => sim.agent.say(userId, typeof body['text'] === 'string' && body['text'] ? body['text'] : 'Hello from the scripted agent.'),
    'agent-image': () => sim.agent.sendFile(userId, { bytes: makePng({ hue: [200, 80, 40] }), fileType: 'png' }),
    'agent-read': () => sim.agent.read(userId),
    'agent-end': () => sim.agent.end(userId),
    'queue-advance': () => sim.queue.advance(userId),
    'queue-serve': () => sim.queue.serve(userId),
    'robot-say': () => sim.robot.say(userId, typeof body['text'] === 'string' && body['text'] ? body['text'] : 'A scripted robot line.'),
    'system-release': () => sim.system.releaseSession(userId),
  };
  const run = actions[action];
  if (!run) return sendJson(res, 404, { error: 'unknown action' });
  try {
    run();
    sendJson(res, 200, { ok: true, session: sim.session(userId) ?? null });
  } catch (error) {
    // The simulator refuses actions that make no sense in the session's state.
    sendJson(res, 409, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Serves a Vite build: files as they are, anything else → index.html (a single-page app). */
async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const candidate = path.resolve(dir, '.' + path.posix.normalize(pathname));
  let file = path.join(dir, 'index.html');
  if (candidate.startsWith(dir + path.sep)) {
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) file = candidate;
    else if (path.extname(candidate) !== '') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
  }
  const isHtml = file.endsWith('.html');
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': isHtml ? 'no-cache' : 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(isHtml ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** `vite build` of one example into `outDir`. Resolves with outDir. */
export async function buildExample(app: ExampleApp, outDir = path.join(exampleRoot(app), 'dist'), logLevel: ViteLogLevel = 'warn'): Promise<string> {
  await buildViteApp(exampleRoot(app), outDir, logLevel);
  return path.resolve(outDir);
}

type ViteLogLevel = 'info' | 'warn' | 'error' | 'silent';

/**
 * A production `vite build` of the app in `root` (with its own vite.config.ts) into `outDir`.
 * Resolves with the chunks, whose `moduleIds` say which files went into the bundle.
 */
export async function buildViteApp(root: string, outDir: string, logLevel: ViteLogLevel = 'warn'): Promise<Rolldown.OutputChunk[]> {
  const { build } = await import('vite');
  // Vite decides "production" from NODE_ENV when it is set, and test runners set it to 'test'
  // (which would bundle React's development build). A build here is always a production build.
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    const result = await build({ root, configFile: path.join(root, 'vite.config.ts'), mode: 'production', logLevel, build: { outDir: path.resolve(outDir), emptyOutDir: true } });
    const outputs = Array.isArray(result) ? result : 'output' in result ? [result] : [];
    return outputs.flatMap((o) => o.output).filter((item): item is Rolldown.OutputChunk => item.type === 'chunk');
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
  }
}

async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const app = options.app ?? 'react';
  const mode = options.mode ?? 'dev';
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.log(line));
  const root = options.root ?? exampleRoot(app);

  const defaultOutDir = path.join(root, 'dist');
  const outDir =
    mode === 'build' ? (await buildViteApp(root, options.outDir ?? defaultOutDir), path.resolve(options.outDir ?? defaultOutDir)) : mode === 'prebuilt' ? path.resolve(options.outDir ?? defaultOutDir) : null;

  const sim = await startSimulator({
    scenario: options.scenario ?? 'robot-then-agent',
    // The browser never talks to the simulator directly: only the gateway does.
    cors: false,
    ...(options.simulatorTiming ? { timing: options.simulatorTiming } : {}),
  });

  let handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) => {
    res.writeHead(503).end('starting');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`demo server: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  const address = await listen(server, host, options.port ?? 0);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const origins = [origin];
  if (host === '127.0.0.1' || host === 'localhost') origins.push(`http://127.0.0.1:${address.port}`, `http://localhost:${address.port}`);

  const gateway = createGateway({
    upstream: sim.url,
    // Server side only. The simulator's demo credentials; a tenant's come from the environment.
    appKey: sim.credentials.appKey,
    appSecret: sim.credentials.appSecret,
    // A fresh key per run: sealed tokens of an earlier run are refused and simply re-issued.
    tokenSecret: randomBytes(32).toString('base64url'),
    basePath: GATEWAY_PATH,
    allowedOrigins: [...new Set(origins)],
    longPollWindowMs: sim.timing.longPollWindowMs,
    // The demo trusts its own cookie; a real app identifies the customer by its login session.
    identify: (req) => {
      const userId = userIdOf(req);
      if (!userId) return null;
      const { userName, channelId, locale } = identityFor(userId, sim);
      return { userId, userName, channelId, locale };
    },
    logger:
      options.onGatewayLog ??
      ((entry) => {
        if (entry.level === 'warn' || entry.level === 'error') log(`gateway ${entry.level}: ${entry.msg} ${entry.api ?? ''} ${entry.status ?? ''}`.trim());
      }),
  });

  const vite =
    mode === 'dev'
      ? await (await import('vite')).createServer({
          root,
          configFile: path.join(root, 'vite.config.ts'),
          appType: 'spa',
          logLevel: 'warn',
          server: { middlewareMode: true, ws: { server } },
        })
      : null;

  handle = async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === GATEWAY_PATH || url.pathname.startsWith(GATEWAY_PATH + '/')) {
      await gateway.handler(req, res);
      return;
    }
    if (url.pathname === '/demo/identity' && req.method === 'GET') {
      // ?user=<id> picks the demo user (tests); ?new=1 starts over as somebody new.
      const asked = url.searchParams.get('user');
      const current = url.searchParams.has('new') ? null : userIdOf(req);
      const userId = asked && USER_ID_PATTERN.test(asked) ? asked : (current ?? `web-${randomBytes(5).toString('hex')}`);
      sendJson(res, 200, identityFor(userId, sim), {
        'set-cookie': `${USER_COOKIE}=${encodeURIComponent(userId)}; Path=/; HttpOnly; SameSite=Strict`,
      });
      return;
    }
    if (url.pathname.startsWith('/demo/sim/') && options.controls !== false) {
      await handleControl(url.pathname.slice('/demo/sim/'.length), req, res, sim);
      return;
    }
    if (vite) {
      await new Promise<void>((resolve) => {
        vite.middlewares(req, res, () => {
          if (!res.headersSent) res.writeHead(404).end('not found');
          resolve();
        });
        res.once('close', () => resolve());
      });
      return;
    }
    await serveStatic(outDir as string, req, res);
  };

  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/`,
    app,
    sim,
    gateway,
    close() {
      closing ??= (async () => {
        await vite?.close();
        await gateway.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await sim.close();
      })();
      return closing;
    },
  };
}
