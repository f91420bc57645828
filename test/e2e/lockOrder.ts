/**
 * What the tabs coordinator's hand-over relies on, measured in Chromium (docs/guides/tabs.md,
 * "Hand-over"): tab L holds a Web Lock, posts its last message and then its goodbye on a
 * BroadcastChannel, and lets the lock go; tab F, queued for the lock, is granted it and runs the
 * barrier (it posts to itself through a second channel and waits for that message). Counted
 * per round: whether L's last message had arrived when the lock was granted, when the barrier
 * came back, and when L's goodbye arrived (never before it: same sender, same channel).
 *
 *   node --import tsx test/e2e/lockOrder.ts [rounds=600]
 *
 * Prints one JSON line. Measured (Chromium 143 headless, 2 busy cores), three runs of 600
 * rounds: the lock was granted before L's last message had arrived in 255–259; the barrier came
 * back before it in 3, 8 and 9; the goodbye never came before it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

const rounds = Number(process.argv[2] ?? 600);
const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>lock order</title>'));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
// 127.0.0.1 is a secure context: the pages have navigator.locks.
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const context = await browser.newContext();
const leader = await context.newPage();
const next = await context.newPage();
await Promise.all([leader.goto(url), next.goto(url)]);

const counts = { rounds, lastMissingAtGrant: 0, lastMissingAfterBarrier: 0, byeBeforeLast: 0 };
for (let i = 0; i < rounds; i++) {
  const name = `lock-order-${i}`;
  await leader.evaluate(
    (name) =>
      new Promise<void>((held) => {
        const w = window as unknown as { channel: BroadcastChannel; release: () => void };
        w.channel = new BroadcastChannel(name);
        void navigator.locks.request(name, () => new Promise<void>((release) => ((w.release = release), held())));
      }),
    name,
  );
  const outcome = next.evaluate(
    (name) =>
      new Promise<{ atGrant: boolean; afterBarrier: boolean; byeFirst: boolean }>((done) => {
        const channel = new BroadcastChannel(name);
        let last = false;
        let byeFirst = false;
        let onBye: (() => void) | undefined;
        let bye = false;
        channel.addEventListener('message', (event) => {
          if (event.data === 'last') last = true;
          if (event.data === 'bye') {
            bye = true;
            byeFirst = !last;
            onBye?.();
          }
        });
        void navigator.locks.request(name, async () => {
          const atGrant = last;
          const probe = new BroadcastChannel(name);
          await new Promise<void>((back) => {
            channel.addEventListener('message', (event) => event.data === 'probe' && back());
            probe.postMessage('probe');
          });
          const afterBarrier = last;
          if (!bye) await new Promise<void>((resolve) => (onBye = resolve));
          probe.close();
          channel.close();
          done({ atGrant, afterBarrier, byeFirst });
        });
      }),
    name,
  );
  // The next tab is queued once its request reached the lock manager: ask the manager.
  await leader.waitForFunction((name) => navigator.locks.query().then((s) => s.pending?.some((p) => p.name === name) ?? false), name);
  await leader.evaluate(() => {
    const w = window as unknown as { channel: BroadcastChannel; release: () => void };
    w.channel.postMessage('last');
    w.channel.postMessage('bye');
    w.release();
    w.channel.close();
  });
  const { atGrant, afterBarrier, byeFirst } = await outcome;
  if (!atGrant) counts.lastMissingAtGrant++;
  if (!afterBarrier) counts.lastMissingAfterBarrier++;
  if (byeFirst) counts.byeBeforeLast++;
}
console.log(JSON.stringify({ chromium: browser.version(), ...counts }));
await browser.close();
server.close();
