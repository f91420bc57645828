/**
 * The scripted demo end to end, in-process: the real machine, the real client over HTTP, the
 * embedded simulator. Checks the printed transcript, the state path and the result.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run.js';
import { akSkGatewayHeaders, applyTokenProvider, createAiccClient } from '../../src/client/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { CHAT_TEXTS } from '../../src/view/texts.js';
import { ZH_CN_TEXTS } from '../../src/locales/zh_CN.js';
import { collect, demoOptions, lineIndex, missingInOrder, waitForText } from './helpers.js';

describe('runDemo (scripted, embedded simulator)', () => {
  it('robot-then-agent: the whole flow, in order, files both ways, 0 violations, exit 0', async () => {
    const out = collect();
    const result = await runDemo(demoOptions('robot-then-agent'), out.stream);
    const lines = out.lines();

    expect(result.failure).toBeNull();
    expect(result.exitCode).toBe(0);
    expect(result.endReason).toBe('customer-ended');
    expect(result.violations).toEqual([]);
    expect(result.statePath).toEqual([
      'auth',
      'history',
      'connecting',
      'chatting (robot)',
      'queuing',
      'chatting (agent Alice)',
      'ending',
      'survey-agent',
      'disconnecting',
      'disconnected',
    ]);
    expect(result).toMatchObject({ filesSent: 1, filesReceived: 1 });
    expect(result.messagesIn).toBeGreaterThanOrEqual(5);
    expect(result.messagesOut).toBeGreaterThanOrEqual(4);

    // The printed transcript tells the same story, in this order.
    const order = [
      /^\[state\] auth → history → connecting/,
      /^\[history\] .* You: Where is my order 4711\?/,
      /^\[state\] .*→ chatting \(robot\)/,
      /^Robot: Hello/,
      /^\[suggestions\] How do I reset my password\?/,
      /^You: How do I reset my password\?/,
      /^Robot: Here is an answer/,
      /^> \/agent$/,
      /^\[state\] chatting \(robot\) → queuing/,
      /^\[queue\] position 3, est\. wait \d+ s$/,
      /^\[queue\] position 2,/,
      /^\[queue\] position 1,/,
      /^\[state\] queuing → chatting \(agent Alice\)/,
      /^Agent Alice: Hello, this is Alice/,
      /^You: Hi, my order arrived damaged\./,
      /^\[file\] sent photo\.png \(1\.\d KB\)$/,
      /^Agent Alice: \[image\] image\.jpg$/,
      /^\[file\] received image\.jpg 3000 bytes$/,
      /^\[read\] Alice has read/,
      /^> \/end$/,
      /^\[state\] chatting \(agent Alice\) → ending → survey-agent/,
      /^\[survey\] How satisfied are you with Alice\?/,
      /^> \/rate 5 great service$/,
      /^\[survey\] thank you for your feedback/,
      /disconnecting → disconnected$|→ disconnected$/,
      /^ended: customer-ended/,
      /^summary: .*files 1 sent \/ 1 received, 10 states visited, protocol violations 0,/,
    ];
    let at = 0;
    for (const pattern of order) {
      const found = lineIndex(lines, pattern, at);
      expect(found, `${pattern} after line ${at}\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    expect(lines.at(-1)).toMatch(/^summary: .*protocol violations 0,/);
    // Every state line reads as one continuous path.
    const states = lines.filter((l) => l.startsWith('[state] ')).flatMap((l) => l.slice(8).split(' → '));
    expect(missingInOrder(states, result.statePath)).toBeNull();
    // No colours when not asked for.
    expect(out.text()).not.toContain('\u001b[');
  });

  it('after-hours: connecting → leave-message → disconnected, ends message-left', async () => {
    const out = collect();
    const result = await runDemo(demoOptions('after-hours'), out.stream);
    expect(result.exitCode).toBe(0);
    expect(result.endReason).toBe('message-left');
    expect(result.statePath).toEqual(['auth', 'history', 'connecting', 'leave-message', 'disconnected']);
    const lines = out.lines();
    expect(lineIndex(lines, /^\[error\] send 12 \(business\)/)).toBeGreaterThan(0);
    expect(lineIndex(lines, /^\[leave-message\] outside working hours/)).toBeGreaterThan(0);
    expect(lineIndex(lines, /^> \/leave \+49 30 1234567 /)).toBeGreaterThan(0);
    expect(lines.at(-2)).toMatch(/^ended: message-left/);
    expect(lines.at(-1)).toMatch(/protocol violations 0/);
  });

  it('robot-only: the transfer is refused (13), the robot is rated, ends customer-ended', async () => {
    const out = collect();
    let sim: Simulator | undefined;
    const result = await runDemo(demoOptions('robot-only'), out.stream, { onSimulator: (s) => void (sim = s) });
    expect(result.exitCode).toBe(0);
    expect(result.statePath).toEqual(['auth', 'history', 'connecting', 'chatting (robot)', 'ending', 'survey-robot', 'disconnecting', 'disconnected']);
    expect(out.text()).toContain('[error] send 13 (business): transfer to agent failed');
    expect(out.text()).toContain('[survey] How satisfied are you with the assistant?');
    expect(sim?.requestsFor('feedbackSatisfaction')).toHaveLength(1);
  });

  it('no-survey: served at once, no survey, still a full session', async () => {
    const out = collect();
    const result = await runDemo(demoOptions('no-survey'), out.stream);
    expect(result.exitCode).toBe(0);
    expect(result.statePath).toEqual(['auth', 'history', 'connecting', 'queuing', 'chatting (agent Alice)', 'ending', 'disconnecting', 'disconnected']);
    expect(out.text()).not.toContain('[survey]');
    expect(result).toMatchObject({ filesSent: 1, filesReceived: 1, endReason: 'customer-ended' });
  });

  it('a protocol violation recorded by the simulator fails the run', async () => {
    const out = collect();
    const result = await runDemo(demoOptions('no-survey'), out.stream, {
      onSimulator: async (sim) => {
        await fetch(`${sim.url}/not/an/api`); // recorded as unknown-path
      },
    });
    expect(result.endReason).toBe('customer-ended');
    expect(result.violations?.map((v) => v.rule)).toEqual(['unknown-path']);
    expect(result.exitCode).toBe(1);
    expect(out.lines().at(-1)).toBe('demo failed: 1 protocol violation(s)');
    expect(out.text()).toContain('[violation] unknown-path');
  });

  it('a step that times out ends the chat and exits non-zero', async () => {
    const out = collect();
    const result = await runDemo(
      demoOptions('agent-direct', { stepTimeoutMs: 300 }),
      out.stream,
      { onSimulator: (sim) => void (sim.scenario.initialQueuePosition = 50) }, // never served in time
    );
    expect(result.exitCode).toBe(1);
    expect(result.failure).toMatch(/gave up after 300 ms waiting for an agent/);
    expect(result.endReason).toBe('customer-ended');
    expect(out.text()).toContain('[demo] gave up after 300 ms');
  });

  it('interactive with piped lines: commands and messages drive the session', async () => {
    const out = collect();
    const input = new PassThrough();
    const done = runDemo(demoOptions('agent-direct', { mode: 'interactive' }), out.stream, {
      input,
      onSimulator: (sim) => void (sim.scenario.initialQueuePosition = 0),
    });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !out.text().includes(text); i += 1) await new Promise((r) => setTimeout(r, 25));
      expect(out.text()).toContain(text);
    };
    await waitFor('Agent Alice: Hello');
    input.write('/help\nhello there\n');
    await waitFor('Agent Alice: Let me check that for you: "hello there".');
    input.write('/rate 5\n/file\n');
    await waitFor('Agent Alice: Thanks, I received photo.png.');
    input.write('/sim file\n');
    await waitFor('[file] received image.jpg 3000 bytes');
    input.write('/end\n');
    await waitFor('[survey] Answer with');
    input.write('/rate 4 quick and friendly\n');
    const result = await done;
    const text = out.text();
    expect(text).toContain('/file [path]'); // the help
    expect(text).toContain('> /rate 5\n[!] there is no survey to answer right now');
    expect(result).toMatchObject({ exitCode: 0, endReason: 'customer-ended', filesSent: 1, filesReceived: 1, violations: [] });
  });
});

describe('runDemo against a "real" server (--base-url + --token-url)', () => {
  let tokenServer: Server | undefined;
  let sim: Simulator | undefined;
  afterEach(async () => {
    await new Promise((r) => (tokenServer ? tokenServer.close(r) : r(undefined)));
    await sim?.close();
  });

  it('gets the token from the token URL and runs the customer side of the script', async () => {
    sim = await startSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 1 }, timing: { longPollWindowMs: 300, queueAdvanceMs: 100, agentReplyDelayMs: 20 } });
    const s = sim;
    // What a customer's back end does: hold AK/SK, call applyToken for the browser.
    const tokenClient = createAiccClient({ baseUrl: s.url, gatewayHeaders: akSkGatewayHeaders({ baseUrl: s.url, ...s.credentials }) });
    const asked: unknown[] = [];
    tokenServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const asked_ = JSON.parse(body) as { userId: string; userName: string; channelId: string; locale: string };
        asked.push(asked_);
        const identity = { userId: asked_.userId, userName: asked_.userName, channelId: asked_.channelId, locale: asked_.locale };
        Promise.resolve(applyTokenProvider(tokenClient, identity)({ reason: 'initial' })).then(
          (token) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token })),
          () => res.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((r) => tokenServer?.listen(0, '127.0.0.1', r));
    const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;

    const out = collect();
    const options = demoOptions('agent-direct', {
      // The simulator wants the gateway headers too; a real gateway would add them itself.
      target: { kind: 'remote', baseUrl: s.url, channelId: s.channelId, tokenUrl, appKey: s.credentials.appKey, appSecret: s.credentials.appSecret },
      longPollMs: 300,
    });
    const result = await runDemo(options, out.stream);
    expect(result.failure).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, endReason: 'customer-ended', violations: null, filesSent: 1, filesReceived: 0 });
    expect(asked).toEqual([{ userId: options.userId, userName: 'Test Customer', channelId: s.channelId, locale: 'en_US', reason: 'initial' }]);
    expect(s.requestsFor('applyToken')).toHaveLength(1);
    expect(s.violations).toEqual([]);
    expect(s.session(options.userId)?.satisfaction?.evaluation).toBe('5');
    expect(out.lines().at(-1)).toMatch(/protocol violations n\/a \(real server\)/);
  });
});

describe('runDemo: the agent ends the chat first (scripted, "real" server)', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  /**
   * The script against a simulator as a remote server (agent-ended is an expected ending there).
   * The agent hangs up when the customer writes something matching `hangUpOn`, after a goodbye
   * when `goodbyeFirst`.
   */
  async function runWithHangUp(hangUpOn: RegExp, goodbyeFirst: boolean, locale = 'en_US') {
    sim = await startSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 1 }, timing: { longPollWindowMs: 300, queueAdvanceMs: 100, agentReplyDelayMs: 20 } });
    const s = sim;
    const options = demoOptions('agent-direct', {
      target: { kind: 'remote', baseUrl: s.url, channelId: s.channelId, appKey: s.credentials.appKey, appSecret: s.credentials.appSecret },
      longPollMs: 300,
      locale,
    });
    const reply = s.scenario.agent.reply;
    s.scenario.agent.reply = (text) => {
      if (!hangUpOn.test(text)) return reply(text);
      if (goodbyeFirst) s.agent.say(options.userId, 'You are welcome! Goodbye.');
      s.agent.end(options.userId);
      return null;
    };
    const out = collect();
    const result = await runDemo(options, out.stream);
    return { s, userId: options.userId, out, result };
  }

  it('--locale zh_CN: the system notice and the end reason in the zh_CN catalogue, as the view shows them', async () => {
    const { out, result } = await runWithHangUp(/that's all/i, true, 'zh_CN');
    const lines = out.lines();
    expect(result.failure, out.text()).toBeNull();
    expect(result.endReason).toBe('agent-ended');
    expect(lineIndex(lines, `[system] ${ZH_CN_TEXTS.notices.agentLeft}`), out.text()).toBeGreaterThan(0);
    expect(lines.at(-2)).toBe(`ended: agent-ended (${ZH_CN_TEXTS.endReasons['agent-ended']})`);
    expect(ZH_CN_TEXTS.endReasons['agent-ended']).toBe('客服已结束本次会话。');
    await sim?.close();
    sim = undefined;
    // English for the same run in en_US (the default), from the English catalogue.
    const english = await runWithHangUp(/that's all/i, true);
    expect(english.out.lines().at(-2)).toBe(`ended: agent-ended (${CHAT_TEXTS.endReasons['agent-ended']})`);
    expect(lineIndex(english.out.lines(), `[system] ${CHAT_TEXTS.notices.agentLeft}`)).toBeGreaterThan(0);
  });

  it('after its last answer: the script does not type /end (which would skip the survey) but rates the agent', async () => {
    const { s, userId, out, result } = await runWithHangUp(/that's all/i, true);
    const lines = out.lines();
    expect(result.failure, out.text()).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, endReason: 'agent-ended' });
    expect(missingInOrder(result.statePath, ['ending', 'survey-agent', 'disconnecting', 'disconnected'])).toBeNull();
    expect(s.session(userId)?.satisfaction?.evaluation, out.text()).toBe('5');
    expect(s.requestsFor('saveSatisfaction', userId)).toHaveLength(1);
    expect(lineIndex(lines, /^> \/rate 5 great service$/)).toBeGreaterThan(lineIndex(lines, /^\[system\] The agent left the chat\.$/));
    expect(lineIndex(lines, /^> \/end$/)).toBe(-1);
    expect(out.text()).toContain('[survey] thank you for your feedback');
    expect(s.violations).toEqual([]);
  });

  it('in the middle of the conversation (no answer to the question): the script stops chatting and rates, no step times out', async () => {
    const { s, userId, out, result } = await runWithHangUp(/damaged/i, false);
    expect(result.failure, out.text()).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, endReason: 'agent-ended', filesSent: 0 });
    expect(s.session(userId)?.satisfaction?.evaluation, out.text()).toBe('5');
    expect(out.text()).not.toContain('[!] not now');
    expect(lineIndex(out.lines(), /^> \/end$/)).toBe(-1);
  });
});

describe('runDemo: the agent ends the chat first (interactive)', () => {
  it('/sim hangup shows the survey; /end then does not skip it; /rate saves the rating', async () => {
    const out = collect();
    const input = new PassThrough();
    const abort = new AbortController();
    let sim: Simulator | undefined;
    const options = demoOptions('agent-direct', { mode: 'interactive' });
    const done = runDemo(options, out.stream, {
      input,
      signal: abort.signal,
      onSimulator: (s) => {
        sim = s;
        s.scenario.initialQueuePosition = 0;
      },
    });
    try {
      expect(await waitForText(out, 'Agent Alice: Hello'), out.text()).toBe(true);
      input.write('/sim hangup\n');
      expect(await waitForText(out, '[survey] Answer with'), out.text()).toBe(true);
      input.write('/end\n');
      expect(await waitForText(out, 'the chat has already ended'), out.text()).toBe(true);
      input.write('/rate 5 after the hang-up\n');
      expect(await waitForText(out, '\nended: '), out.text()).toBe(true);
    } finally {
      abort.abort(); // a no-op once the session has finished
    }
    const result = await done;
    expect(result).toMatchObject({ exitCode: 0, endReason: 'agent-ended', violations: [] });
    expect(sim?.session(options.userId)?.satisfaction, out.text()).toMatchObject({ evaluation: '5', comment: 'after the hang-up' });
  });
});

describe('runDemo: the survey mode cannot be fetched (survey-unavailable)', () => {
  it('scripted: shown with the typed error, retried once, then skipped; the run still succeeds', async () => {
    const out = collect();
    let sim: Simulator | undefined;
    const options = demoOptions('agent-direct');
    const result = await runDemo(options, out.stream, {
      onSimulator: (s) => {
        sim = s;
        s.faults.next('getSatisfactionSurveyMode', { status: 503 }, 100); // never answers
      },
    });
    const lines = out.lines();
    expect(result.failure, out.text()).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, endReason: 'customer-ended', violations: [] });
    expect(result.statePath.slice(-6)).toEqual(['ending', 'survey-unavailable', 'ending', 'survey-unavailable', 'disconnecting', 'disconnected']);
    const shown = lines.filter((l) => /^\[survey\] the survey could not be loaded: getSatisfactionSurveyMode HTTP 503 \(http\)/.test(l));
    expect(shown, out.text()).toHaveLength(2);
    expect(lines.filter((l) => l === '> /retry')).toHaveLength(1);
    expect(lineIndex(lines, /^> \/skip$/)).toBeGreaterThan(lineIndex(lines, /^> \/retry$/));
    expect(lineIndex(lines, /^> \/rate/)).toBe(-1);
    expect(sim?.session(options.userId)?.satisfaction ?? null).toBeNull();
  });

  it('scripted: a retry that works leads to the survey, which is answered', async () => {
    const out = collect();
    let sim: Simulator | undefined;
    const options = demoOptions('agent-direct');
    const result = await runDemo(options, out.stream, {
      onSimulator: (s) => {
        sim = s;
        s.faults.next('getSatisfactionSurveyMode', { status: 400 }); // refused once: not retried by the machine
      },
    });
    expect(result.failure, out.text()).toBeNull();
    expect(result).toMatchObject({ exitCode: 0, endReason: 'customer-ended' });
    expect(result.statePath.slice(-6)).toEqual(['ending', 'survey-unavailable', 'ending', 'survey-agent', 'disconnecting', 'disconnected']);
    expect(out.text()).toMatch(/\[survey\] the survey could not be loaded: getSatisfactionSurveyMode HTTP 400 \(http\)/);
    expect(sim?.session(options.userId)?.satisfaction?.evaluation).toBe('5');
  });

  it('interactive: /retry asks again, /skip ends without a survey; /help lists both', async () => {
    const out = collect();
    const input = new PassThrough();
    const abort = new AbortController();
    let sim: Simulator | undefined;
    const options = demoOptions('agent-direct', { mode: 'interactive' });
    const done = runDemo(options, out.stream, {
      input,
      signal: abort.signal,
      onSimulator: (s) => {
        sim = s;
        s.scenario.initialQueuePosition = 0;
        s.faults.next('getSatisfactionSurveyMode', { status: 400 }, 2);
      },
    });
    const unavailable = '[survey] the survey could not be loaded: getSatisfactionSurveyMode HTTP 400 (http)';
    try {
      expect(await waitForText(out, 'Agent Alice: Hello'), out.text()).toBe(true);
      input.write('/help\n/end\n');
      expect(await waitForText(out, unavailable), out.text()).toBe(true);
      input.write('/rate 5\n/retry\n');
      expect(await waitForText(out, unavailable, 2), out.text()).toBe(true);
      input.write('/skip\n');
      expect(await waitForText(out, '\nended: '), out.text()).toBe(true);
    } finally {
      abort.abort();
    }
    const result = await done;
    const text = out.text();
    expect(text).toMatch(/\/retry .*survey/); // the help says /retry works for the survey too
    expect(text).toMatch(/> \/rate 5\n\[!\] the survey could not be loaded: \/retry/);
    expect(result).toMatchObject({ exitCode: 0, endReason: 'customer-ended', violations: [] });
    expect(result.statePath).toContain('survey-unavailable');
    expect(sim?.requestsFor('getSatisfactionSurveyMode')).toHaveLength(2); // the one session of this simulator
    expect(sim?.session(options.userId)?.satisfaction ?? null).toBeNull();
  });
});
