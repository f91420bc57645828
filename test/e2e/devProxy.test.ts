/**
 * The gateway behind a dev server's proxy, in headless Chromium. A developer runs the gateway
 * on its own port and Vite in front, with the usual `server.proxy: { '/aicc': gatewayUrl }`:
 *
 *   Chromium ── http://127.0.0.1:<vite>/ ──► Vite dev server ──/aicc──► gateway ──► simulator
 *
 * The page calls its own origin, and Vite's proxy passes the browser's `Origin` on unchanged
 * (the string form sets `changeOrigin`, which rewrites only `Host`): the gateway sees the dev
 * server's origin, which its `allowedOrigins` must list. Without it the session ends
 * `auth-failed` and the page says which option to set (reason `origin`, in the page's
 * language); with it the chat works through the proxy.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViteDevServer } from 'vite';
import { createGateway, type Gateway, type GatewayIdentity, type GatewayLogEntry } from '../../src/gateway/index.js';
import { CHAT_TEXTS } from '../../src/index.js';
import { ZH_CN_TEXTS } from '../../src/locales/zh_CN.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { launchChromium, openPage, type Browser } from './chromium.js';
import { phase, STEP_MS } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../support/timeBudget.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const PAGE_ROOT = path.join(import.meta.dirname, 'devProxy');
const TOKEN_SECRET = 'dev-proxy-test-secret-0123456789abcdef-0123';

interface StandaloneGateway {
  url: string;
  /** The headers of every request the gateway received (what the proxy passed on). */
  received: IncomingHttpHeaders[];
  logs: GatewayLogEntry[];
  /** Creates the gateway (options may depend on the dev server's port, known only later). */
  use(allowedOrigins: string[]): void;
  close(): Promise<void>;
}

/** A gateway on a port of its own, as `node gateway.ts` would run it next to `vite`. */
async function startGateway(sim: Simulator): Promise<StandaloneGateway> {
  const received: IncomingHttpHeaders[] = [];
  const logs: GatewayLogEntry[] = [];
  let gateway: Gateway | undefined;
  const server: Server = createServer((req, res) => {
    received.push(req.headers);
    if (gateway) void gateway.handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    logs,
    use(allowedOrigins) {
      gateway = createGateway({
        upstream: sim.url,
        appKey: sim.credentials.appKey,
        appSecret: sim.credentials.appSecret,
        tokenSecret: TOKEN_SECRET,
        basePath: '/aicc',
        allowedOrigins,
        longPollWindowMs: sim.timing.longPollWindowMs,
        identify: (req): GatewayIdentity | null => {
          const userId = /(?:^|;\s*)devUser=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
          return userId ? { userId: decodeURIComponent(userId), userName: 'Dev', channelId: sim.channelId, locale: 'en_US' } : null;
        },
        logger: (entry) => logs.push(entry),
      });
    },
    async close() {
      await gateway?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Vite's dev server with the proxy exactly as a developer writes it (the string form). */
async function startVite(gatewayUrl: string): Promise<{ vite: ViteDevServer; origin: string }> {
  const { createServer: createViteServer } = await import('vite');
  const vite = await createViteServer({
    root: PAGE_ROOT,
    configFile: false,
    logLevel: 'silent',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [REPO_ROOT] }, proxy: { '/aicc': gatewayUrl } },
  });
  await vite.listen();
  const port = (vite.httpServer?.address() as AddressInfo).port;
  return { vite, origin: `http://127.0.0.1:${port}` };
}

describe('the gateway behind a dev server proxy (Vite server.proxy), in headless Chromium', () => {
  let sim: Simulator;
  let gateway: StandaloneGateway;
  let vite: ViteDevServer;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    sim = await startSimulator({ cors: false, timing: { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 } });
    gateway = await startGateway(sim);
    ({ vite, origin } = await startVite(gateway.url));
    browser = await launchChromium({ width: 800, height: 600 });
    browser.context.setDefaultTimeout(STEP_MS);
  }, HEAVY_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await vite?.close();
    await gateway?.close();
    await sim?.close();
  });

  const open = (userId: string, locale = 'en_US') =>
    openPage(browser.context, `${origin}/?user=${userId}&channel=${sim.channelId}&locale=${locale}`);

  it(
    'allowedOrigins without the dev server: auth-failed, and the page names the option to set (en-US, zh-CN)',
    async () => {
      gateway.use(['https://shop.example.com']);
      const { page } = await open('proxy-refused');
      await phase(page, 'ended');
      expect(await page.getByTestId('ended').textContent()).toBe(CHAT_TEXTS.endReasons['auth-failed']);
      expect(await page.getByTestId('chat-error').textContent()).toBe(CHAT_TEXTS.gatewayReasons.origin);
      expect(CHAT_TEXTS.gatewayReasons.origin).toContain('allowedOrigins');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en-US');

      // What Vite's proxy passed on: the page's Origin as it was, Host rewritten to the gateway's.
      const token = gateway.received.find((h) => h.cookie?.includes('devUser=proxy-refused'));
      expect(token?.origin).toBe(origin);
      expect(token?.host).toBe(new URL(gateway.url).host);
      // The gateway's log names the origin to add.
      expect(gateway.logs.some((l) => l.status === 403 && l.msg.includes(`add ${origin} to allowedOrigins`))).toBe(true);
      expect(sim.requestsFor('send', 'proxy-refused')).toHaveLength(0);

      // The same page in Chinese: the texts and the document's language.
      const zh = await open('proxy-refused-zh', 'zh_CN');
      await phase(zh.page, 'ended');
      expect(await zh.page.getByTestId('chat-error').textContent()).toBe(ZH_CN_TEXTS.gatewayReasons.origin);
      expect(await zh.page.getByTestId('ended').textContent()).toBe(ZH_CN_TEXTS.endReasons['auth-failed']);
      expect(await zh.page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      await page.close();
      await zh.page.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "allowedOrigins with the dev server's origin: the chat works through the proxy",
    async () => {
      gateway.use([origin]);
      const userId = 'proxy-allowed';
      const { page, problems } = await open(userId);
      await phase(page, 'chatting-robot');
      expect(await page.getByTestId('chat-error').textContent()).toBe('');
      const connects = sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT');
      expect(connects).toHaveLength(1);
      expect(sim.violations).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );
});
