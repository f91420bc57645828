/**
 * `runDemo(options, output)`: one complete chat session through `createChatSession` and the
 * real HTTP client, against the embedded simulator or a real AICC server, printed to `output`
 * as a chat transcript. Scripted or interactive; resolves with the exit code and a summary.
 */
import {
  akSkGatewayHeaders,
  applyTokenProvider,
  createAiccClient,
  createChatSession,
  type AiccClient,
  type ApplyTokenInput,
  type EndReason,
  type GatewayHeadersProvider,
  type TokenProvider,
} from '../index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { DemoController, DemoTimeoutError, SessionEndedError } from './controller.js';
import { runInteractive, type LineSink } from './interactive.js';
import { Printer, TranscriptRenderer, formatSummary, painter } from './render.js';
import { textsForLocale } from '../view/texts.js';
import { ZH_CN_TEXTS } from '../locales/zh_CN.js';
import { ScriptError, runScript } from './script.js';
import { demoScenario, sessionTiming, simulatorTiming } from './simulated.js';
import type { DemoOptions, DemoResult, DemoTarget, OutputStream } from './types.js';

export interface DemoIO {
  /** Where the interactive mode reads lines. Default process.stdin. */
  input?: NodeJS.ReadableStream;
  /** Abort = end the chat now (Ctrl+C in the CLI). */
  signal?: AbortSignal;
  /** Called with the embedded simulator before the session starts (tests: faults, extra scripting). */
  onSimulator?: (sim: Simulator) => void | Promise<void>;
}

/** Which end reasons count as a successful run. */
export function expectedEndReasons(options: Pick<DemoOptions, 'mode' | 'target'>): readonly EndReason[] {
  // Interactive: however the person or the (simulated) server ends it, the session worked;
  // only the failures count.
  if (options.mode === 'interactive') return ['customer-ended', 'agent-ended', 'session-released', 'message-left', 'after-hours'];
  if (options.target.kind === 'remote') return ['customer-ended', 'agent-ended', 'message-left'];
  return options.target.scenario === 'after-hours' ? ['message-left'] : ['customer-ended'];
}

/**
 * A token provider that asks your back end: POST `{ userId, userName, channelId, locale }` as
 * JSON to `url`; the answer is `{ "token": "..." }` or the bare token as text.
 */
export function tokenFromUrl(url: string, identity: ApplyTokenInput, fetchImpl: typeof fetch = fetch): TokenProvider {
  // No AbortSignal: the client shares one provider call among concurrent requests, so one
  // caller's abort must not cancel the token everybody waits for.
  return async ({ reason }) => {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/plain' },
      body: JSON.stringify({ ...identity, reason }),
    });
    if (!response.ok) throw new Error(`token server ${url} answered HTTP ${response.status}`);
    const text = (await response.text()).trim();
    let token: unknown = text;
    if (text.startsWith('{')) {
      try {
        token = (JSON.parse(text) as { token?: unknown }).token;
      } catch {
        token = undefined;
      }
    }
    if (typeof token !== 'string' || token === '') throw new Error(`token server ${url} answered no token`);
    return token;
  };
}

interface Wiring {
  client: AiccClient;
  channelId: string;
  sim: Simulator | null;
  where: string;
}

async function wire(options: DemoOptions): Promise<Wiring> {
  const { target } = options;
  const identity = (channelId: string): ApplyTokenInput => ({ userId: options.userId, userName: options.userName, channelId, locale: options.locale });
  if (target.kind === 'simulator') {
    const sim = await startSimulator({
      port: target.port,
      scenario: demoScenario(target.scenario),
      timing: simulatorTiming(options.mode, options.longPollMs),
    });
    // What a server does: AK/SK for the gateway, applyToken for the customer's token.
    const gatewayHeaders = akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials });
    const token = applyTokenProvider(createAiccClient({ baseUrl: sim.url, gatewayHeaders }), identity(sim.channelId));
    const client = createAiccClient({ baseUrl: sim.url, gatewayHeaders, token, longPollWindowMs: sim.timing.longPollWindowMs });
    return { client, channelId: sim.channelId, sim, where: `embedded simulator ${sim.url} · scenario ${target.scenario}` };
  }
  return { client: remoteClient(target, identity(target.channelId), options.longPollMs), channelId: target.channelId, sim: null, where: `${target.baseUrl}` };
}

function remoteClient(target: Extract<DemoTarget, { kind: 'remote' }>, identity: ApplyTokenInput, longPollMs: number | undefined): AiccClient {
  const { baseUrl, tokenUrl, appKey, appSecret } = target;
  const gatewayHeaders: GatewayHeadersProvider | undefined =
    appKey !== undefined && appSecret !== undefined ? akSkGatewayHeaders({ baseUrl, appKey, appSecret }) : undefined;
  let token: TokenProvider;
  if (tokenUrl !== undefined) token = tokenFromUrl(tokenUrl, identity);
  else if (gatewayHeaders) token = applyTokenProvider(createAiccClient({ baseUrl, gatewayHeaders }), identity);
  else throw new Error('a real server needs --token-url, or AICC_APP_KEY and AICC_APP_SECRET');
  return createAiccClient({
    baseUrl,
    token,
    ...(gatewayHeaders ? { gatewayHeaders } : {}),
    ...(longPollMs !== undefined ? { longPollWindowMs: longPollMs } : {}),
  });
}

function seedDemoHistory(sim: Simulator, userId: string): void {
  const yesterday = Date.now() - 24 * 3600_000;
  sim.seedHistory(userId, [
    { sourceType: 'USER', controlType: 'CHAT', mediaType: 'TEXT', content: 'Where is my order 4711?', sendTime: yesterday },
    { sourceType: 'AGENT', senderNickname: 'Bob', controlType: 'CHAT', mediaType: 'TEXT', content: 'It ships tomorrow.', sendTime: yesterday + 60_000 },
  ]);
}

const sleep = (ms: number) =>
  new Promise<'timeout'>((resolve) => {
    setTimeout(() => resolve('timeout'), ms).unref();
  });

export async function runDemo(options: DemoOptions, output: OutputStream, io: DemoIO = {}): Promise<DemoResult> {
  const started = Date.now();
  const paint = painter(options.color);
  const sink: LineSink = { writeLine: (line) => output.write(`${line}\n`) };
  const printer = new Printer({ writeLine: (line) => sink.writeLine(line), paint });
  // The view's catalogue for --locale (zh, zh_CN → Chinese; anything else English).
  const texts = textsForLocale(options.locale, [ZH_CN_TEXTS]);
  const renderer = new TranscriptRenderer(printer, paint, texts);
  const expected = expectedEndReasons(options);

  const { client, channelId, sim, where } = await wire(options);
  let failure: string | null = null;
  let interrupted = false;
  try {
    if (sim) {
      seedDemoHistory(sim, options.userId);
      await io.onSimulator?.(sim);
    }
    printer.line(paint('bold', `AICC chat demo · ${where} · ${options.mode === 'script' ? 'scripted' : 'interactive'}`));
    printer.line(paint('dim', `customer ${options.userId} (${options.userName}, ${options.locale}) · channel ${channelId}`));

    const session = createChatSession({
      client,
      identity: { userId: options.userId, userName: options.userName, channelId, locale: options.locale, nickname: options.userName },
      loadHistory: true,
      isNeedRead: true,
      timing: sessionTiming(options.mode, sim !== null),
    });
    const ctl = new DemoController({ session, renderer, printer, paint, userId: options.userId, sim });
    const onAbort = (): void => {
      interrupted = true;
      ctl.quit();
    };
    io.signal?.addEventListener('abort', onAbort, { once: true });
    ctl.start();

    try {
      if (options.mode === 'script') {
        await runScript(ctl, {
          paceMs: options.paceMs,
          stepTimeoutMs: options.stepTimeoutMs,
          echo: (line) => printer.line(paint('dim', `> ${line}`)),
          sim,
          userId: options.userId,
        });
      } else {
        await runInteractive(ctl, {
          input: io.input ?? process.stdin,
          output,
          sink,
          paint,
          sim,
          userId: options.userId,
          agentReplyDelayMs: sim?.timing.agentReplyDelayMs ?? 0,
        });
      }
    } catch (error) {
      // A session that ended early is judged by its end reason below; anything else
      // (a step timed out, a refused line, a bug) fails the run after ending the chat.
      if (!(error instanceof SessionEndedError)) {
        failure = error instanceof DemoTimeoutError || error instanceof ScriptError ? error.message : `unexpected error: ${String(error)}`;
        if (!interrupted) renderer.note('error', 'demo', `${failure}; ending the chat`);
      }
      ctl.quit();
    }

    let final = await Promise.race([ctl.finished, sleep(options.stepTimeoutMs)]);
    if (final === 'timeout') {
      ctl.quit();
      final = await Promise.race([ctl.finished, sleep(3000)]);
      if (final === 'timeout') {
        failure ??= 'the session did not finish';
        ctl.stop();
        final = null;
      }
    }
    io.signal?.removeEventListener('abort', onAbort);
    printer.flush();

    const endReason = final?.endReason ?? null;
    const violations = sim ? [...sim.violations] : null;
    for (const v of violations ?? []) renderer.note('error', 'violation', `${v.rule} (${v.api}): ${v.message}`);
    if (endReason === null) failure ??= 'the session stopped without an end reason';
    else if (!expected.includes(endReason)) failure ??= `unexpected end reason ${endReason} (expected ${expected.join(' or ')})`;
    if (violations && violations.length > 0) failure ??= `${violations.length} protocol violation(s)`;
    // Ctrl+C during the script is not a successful run; in the interactive mode it is how you leave.
    if (interrupted && options.mode === 'script') failure = failure === null ? 'interrupted' : `interrupted: ${failure}`;

    const result: DemoResult = {
      exitCode: failure === null ? 0 : interrupted ? 130 : 1,
      endReason,
      expectedEndReasons: expected,
      statePath: [...renderer.statePath],
      ...renderer.counters,
      violations,
      failure,
      durationMs: Date.now() - started,
    };
    const reasonText = endReason ? `${endReason} (${texts.endReasons[endReason]})` : 'unknown';
    printer.line(`${paint(failure === null ? 'ok' : 'error', 'ended:')} ${paint('bold', reasonText)}`);
    printer.line(paint('dim', formatSummary(result)));
    if (failure !== null) printer.line(paint('error', `demo failed: ${failure}`));
    return result;
  } finally {
    await sim?.close();
  }
}
