import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/protocol.js';
import { parseArgs } from '../../src/simulator/cli.js';
import type { Simulator } from '../../src/simulator/index.js';
import { accessToken, Customer, http, start } from './helpers.js';
import { budget } from '../support/timeBudget.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('gateway behaviour', () => {
  it('unknown paths are 404 (paths are case-sensitive)', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await http(sim, 'POST', '/apiaccess/ccmessaging/getSatisfactionSurveyMode', { headers: c.headers(), body: {} });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errorCode: '404', exceptionInfo: expect.any(String) });
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'unknown-path', api: 'unknown' })]);
    expect(sim.requests.at(-1)).toMatchObject({ api: 'unknown', status: 404 });
  });

  it('a body that is not JSON is 400', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await http(sim, 'POST', API_PATHS.send, { headers: c.headers(), rawBody: '{"controlType":' });
    expect(res.status).toBe(400);
    expect(sim.violations.map((v) => v.rule)).toEqual(['bad-json']);
    expect(sim.requests.at(-1)?.body).toBe('{"controlType":');
  });

  it('records every request with secrets redacted', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    await c.call('queryQueueInfo', { userId: 'u1', channelConfigId: sim.channelId, channel: 'WEB' }, { headers: { cookie: 'a=b' } });
    const rec = sim.requests.at(-1);
    expect(rec).toMatchObject({
      seq: 3,
      api: 'queryQueueInfo',
      method: 'POST',
      path: API_PATHS.queryQueueInfo,
      status: 200,
      userId: 'u1',
      response: { resultCode: '160004' },
      body: { userId: 'u1', channelConfigId: sim.channelId, channel: 'WEB' },
    });
    expect(rec?.headers).toMatchObject({
      authorization: '[redacted]',
      'x-app-key': '[redacted]',
      'ccmessaging-token': '[redacted]',
      cookie: '[redacted]',
    });
    expect(JSON.stringify(sim.requests)).not.toContain(c.token);
    expect(JSON.stringify(sim.requests)).not.toContain(c.accessToken);
    expect(sim.requests.map((r) => r.api)).toEqual(['tokenByAkSk', 'applyToken', 'queryQueueInfo']);
  });

  it('answers CORS preflights without recording them', async () => {
    sim = await start();
    const res = await fetch(sim.url + API_PATHS.send, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('ccmessaging-token');
    expect(res.headers.get('access-control-expose-headers')).toBe('ccmessaging-token, retry-after');
    expect(sim.requests).toEqual([]);
  });

  it('reset forgets sessions, requests and violations but keeps tokens', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.text('');
    expect(sim.violations).toHaveLength(1);
    sim.reset();
    expect(sim.requests).toEqual([]);
    expect(sim.violations).toEqual([]);
    expect(sim.session('u1')).toBeUndefined();
    expect((await c.send('CONNECT')).resultCode).toBe('0');
    expect(sim.violations).toEqual([]);
  });
});

describe('close', () => {
  it('ends waiting polls with [] and refuses new connections', async () => {
    sim = await start({ timing: { longPollWindowMs: 60_000 } });
    const c = await Customer.join(sim);
    const waiting = c.poll();
    await expect.poll(() => sim.requestsFor('poll').length, { interval: 5 }).toBe(1);
    await sim.close();
    expect(await waiting).toEqual([]);
    await expect(fetch(sim.url + API_PATHS.poll)).rejects.toThrow();
  });

  it('leaves no timers or sockets behind: a process using it exits by itself', async () => {
    const script = `
      import { startSimulator } from ${JSON.stringify(`${repoRoot}src/simulator/index.ts`)};
      const sim = await startSimulator({ scenario: 'agent-direct', timing: { longPollWindowMs: 60000, queueAdvanceMs: 60000, robotReplyDelayMs: 60000 } });
      const post = (path, body, headers = {}) => fetch(sim.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json());
      const at = (await post('${API_PATHS.tokenByAkSk}', { app_key: 'sim-app-key', app_secret: 'sim-app-secret' })).AccessToken;
      const gw = { 'x-app-key': 'sim-app-key', authorization: 'Bearer ' + at };
      const { token } = await post('${API_PATHS.applyToken}', { userId: 'u1', userName: 'U', channelId: sim.channelId, locale: 'en' }, gw);
      const h = { ...gw, 'ccmessaging-token': token };
      await post('${API_PATHS.send}', { channel: 'WEB', controlType: 'CONNECT', mediaType: 'TEXT', content: '', from: 'u1', to: sim.channelId, sourceType: 'CUSTOMER' }, h);
      await fetch(sim.url + '${API_PATHS.poll}?receiverId=u1&channel=WEB', { headers: h }).then((r) => r.json());
      const waiting = fetch(sim.url + '${API_PATHS.poll}?receiverId=u1&channel=WEB', { headers: h }).then((r) => r.json());
      sim.faults.next('queryQueueInfo', { delayMs: 60000 });
      const stuck = post('${API_PATHS.queryQueueInfo}', { userId: 'u1', channelConfigId: sim.channelId, channel: 'WEB' }, h).catch(() => 'reset');
      // Close once both requests are at the server (a fixed pause could end first on a loaded machine).
      while (!(sim.requestsFor('poll').some((r) => r.status === 0) && sim.requestsFor('queryQueueInfo').some((r) => r.fault === 'delay'))) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await sim.close();
      console.log(JSON.stringify({ poll: (await waiting).downlinkMessages, stuck: await stuck }));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      // A hang detector (it includes starting node with tsx), below the test's own timeout.
      const killer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child did not exit by itself; stdout=${out} stderr=${err}`));
      }, budget(30_000));
      child.on('exit', (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ poll: [], stuck: 'reset' });
  });
});

describe('cli', () => {
  it('parses its options', () => {
    expect(parseArgs(['--port', '9000', '--scenario', 'agent-direct', '--long-poll-ms=250', '--host', '0.0.0.0'])).toEqual({
      port: 9000,
      scenario: 'agent-direct',
      timing: { longPollWindowMs: 250 },
      host: '0.0.0.0',
    });
    expect(() => parseArgs(['--scenario', 'nope'])).toThrow(/unknown scenario/);
    expect(() => parseArgs(['--port', 'x'])).toThrow(/integer/);
    expect(() => parseArgs(['--what'])).toThrow(/unknown argument/);
  });
});

describe('options', () => {
  it('refuses bad options', async () => {
    await expect(start({ timing: { longPollWindowMs: -1 } })).rejects.toThrow(/timing.longPollWindowMs/);
    await expect(start({ scenario: 'nope' as never })).rejects.toThrow(/unknown scenario/);
    sim = await start({ channelId: '202207292843442389', credentials: { appKey: 'k', appSecret: 's' } });
    expect(sim.channelId).toBe('202207292843442389');
    const defaults = await http(sim, 'POST', API_PATHS.tokenByAkSk, { body: { app_key: 'sim-app-key', app_secret: 'sim-app-secret' } });
    expect(defaults.status).toBe(401);
    expect(typeof (await accessToken(sim))).toBe('string');
  });
});
