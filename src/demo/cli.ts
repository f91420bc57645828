/**
 * `npm start`: a complete AICC chat in the terminal, through the statechart and the real HTTP
 * client, against the embedded simulator (default) or a real AICC server.
 *
 *   node --import tsx src/demo/cli.ts [--scenario robot-then-agent] [--script | --interactive]
 *   node --import tsx src/demo/cli.ts --base-url https://… --channel-id … --token-url https://…/token
 *
 * See docs/guides/node.md. Exit code 0 when the session ended the way it should and the
 * simulator recorded no protocol violation; 1 otherwise; 2 for a bad command line; 130 when
 * a scripted run was interrupted.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SCENARIO_NAMES, type ScenarioName } from '../simulator/index.js';
import { shouldUseColor } from './render.js';
import { runDemo } from './run.js';
import type { DemoMode, DemoOptions, DemoTarget } from './types.js';

export const USAGE = `usage: npx aicc-chat-machine-demo [options]   (in this repository: npm start -- [options])

Runs one complete chat session through the statechart and prints it as a transcript.
Interactive when stdin is a terminal, scripted otherwise (exit code 0 = the session ended as expected).

  --scenario <name>     simulator scenario: ${SCENARIO_NAMES.join(', ')} (default robot-then-agent)
  --script              run the scripted conversation even on a terminal
  --interactive         type the customer's side yourself (needs a terminal or piped lines)
  --port <n>            simulator port (default: any free port)
  --long-poll-ms <n>    long-poll window of the simulator / expected from the server
  --pace-ms <n>         pause between scripted customer actions (default 150; 500 against a real server)
  --step-timeout-ms <n> give up a scripted step after this long (default 10000; 120000 against a real server)
  --user-id <id>        customer id, 1-24 characters (default demo-<random>)
  --user-name <name>    customer name (default "Demo Customer")
  --locale <locale>     en, en_US, zh_CN, ... (default en_US; zh_CN: Chinese notices and end reason)
  --color, --no-color   force colours on or off (default: on for a terminal unless NO_COLOR is set)
  -h, --help            this text

A real AICC server instead of the simulator:
  --base-url <url>      tenant domain or your gateway (https://…)
  --channel-id <id>     the WEB channel configuration id (or AICC_CHANNEL_ID)
  --token-url <url>     your back end's token endpoint: POST {userId,userName,channelId,locale}
                        answers {"token":"…"} or the bare token
  --app-key <key>       API Fabric app key (or AICC_APP_KEY); the secret only from AICC_APP_SECRET.
                        With both, the demo adds the gateway headers itself and, without
                        --token-url, calls applyToken directly (server-side use only).`;

/** A bad command line: print the message and the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  help: boolean;
  options: DemoOptions;
}

export interface ParseEnvironment {
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
}

function isScenario(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} needs an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} needs an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

export function parseArgs(argv: readonly string[], environment: ParseEnvironment): ParsedArgs {
  const { env } = environment;
  let help = false;
  let scenario: ScenarioName | undefined;
  let mode: DemoMode | undefined;
  let port: number | undefined;
  let longPollMs: number | undefined;
  let paceMs: number | undefined;
  let stepTimeoutMs: number | undefined;
  let userId: string | undefined;
  let userName: string | undefined;
  let locale: string | undefined;
  let color: boolean | undefined;
  let baseUrl: string | undefined;
  let channelId: string | undefined;
  let tokenUrl: string | undefined;
  let appKey: string | undefined;

  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`${flag} needs a non-negative integer, got "${v}"`);
      return Number(v);
    };
    const noValue = (): void => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
    };
    switch (flag) {
      case '-h':
      case '--help':
        help = true;
        break;
      case '--scenario': {
        const name = value();
        if (!isScenario(name)) throw new UsageError(`unknown scenario "${name}" (one of ${SCENARIO_NAMES.join(', ')})`);
        scenario = name;
        break;
      }
      case '--script':
      case '--interactive': {
        noValue();
        const next: DemoMode = flag === '--script' ? 'script' : 'interactive';
        if (mode !== undefined && mode !== next) throw new UsageError('--script and --interactive exclude each other');
        mode = next;
        break;
      }
      case '--port':
        port = int();
        if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
        break;
      case '--long-poll-ms':
        longPollMs = int();
        break;
      case '--pace-ms':
        paceMs = int();
        break;
      case '--step-timeout-ms':
        stepTimeoutMs = int();
        if (stepTimeoutMs === 0) throw new UsageError('--step-timeout-ms must be positive');
        break;
      case '--user-id':
        userId = value();
        if (userId.length < 1 || userId.length > 24) throw new UsageError('--user-id must be 1-24 characters');
        break;
      case '--user-name':
        userName = value();
        break;
      case '--locale':
        locale = value();
        if (!/^[a-z]{2}(_[A-Z]{2})?$/.test(locale)) throw new UsageError(`--locale looks like en or en_US, got "${locale}"`);
        break;
      case '--color':
      case '--no-color':
        noValue();
        color = flag === '--color';
        break;
      case '--base-url':
        baseUrl = httpUrl(flag, value());
        break;
      case '--channel-id':
        channelId = value();
        break;
      case '--token-url':
        tokenUrl = httpUrl(flag, value());
        break;
      case '--app-key':
        appKey = value();
        break;
      case '--app-secret':
        throw new UsageError('pass the app secret in the AICC_APP_SECRET environment variable, not on the command line');
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }

  let target: DemoTarget;
  if (baseUrl === undefined) {
    for (const [given, flag] of [
      [tokenUrl, '--token-url'],
      [channelId, '--channel-id'],
      [appKey, '--app-key'],
    ] as const) {
      if (given !== undefined) throw new UsageError(`${flag} needs --base-url (without it the demo runs the embedded simulator)`);
    }
    target = { kind: 'simulator', scenario: scenario ?? 'robot-then-agent', port: port ?? 0 };
  } else {
    if (scenario !== undefined) throw new UsageError('--scenario chooses a simulator scenario; it cannot be used with --base-url');
    if (port !== undefined) throw new UsageError('--port is the simulator port; it cannot be used with --base-url');
    const key = appKey ?? nonEmpty(env['AICC_APP_KEY']);
    const secret = nonEmpty(env['AICC_APP_SECRET']);
    const channel = channelId ?? nonEmpty(env['AICC_CHANNEL_ID']);
    if (channel === undefined) throw new UsageError('--base-url needs --channel-id (or AICC_CHANNEL_ID)');
    if ((key === undefined) !== (secret === undefined)) throw new UsageError('AK/SK needs both the app key (--app-key or AICC_APP_KEY) and AICC_APP_SECRET');
    if (tokenUrl === undefined && key === undefined) throw new UsageError('--base-url needs --token-url, or AICC_APP_KEY and AICC_APP_SECRET');
    target = {
      kind: 'remote',
      baseUrl,
      channelId: channel,
      ...(tokenUrl !== undefined ? { tokenUrl } : {}),
      ...(key !== undefined && secret !== undefined ? { appKey: key, appSecret: secret } : {}),
    };
  }

  const resolvedMode: DemoMode = mode ?? (environment.stdinIsTTY ? 'interactive' : 'script');
  const remote = target.kind === 'remote';
  const options: DemoOptions = {
    target,
    mode: resolvedMode,
    userId: userId ?? `demo-${randomBytes(3).toString('hex')}`,
    userName: userName ?? 'Demo Customer',
    locale: locale ?? 'en_US',
    color: color ?? shouldUseColor({ isTTY: environment.stdoutIsTTY }, env),
    paceMs: paceMs ?? (remote ? 500 : 150),
    stepTimeoutMs: stepTimeoutMs ?? (remote || resolvedMode === 'interactive' ? 120_000 : 10_000),
    ...(longPollMs !== undefined ? { longPollMs } : {}),
  };
  return { help, options };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The command: parse process.argv, run the demo, set process.exitCode (bin.ts and `npm start` call it). */
export async function main(): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(process.argv.slice(2), {
      env: process.env,
      stdinIsTTY: process.stdin.isTTY === true,
      stdoutIsTTY: process.stdout.isTTY === true,
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1) abort.abort();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runDemo(parsed.options, process.stdout, { input: process.stdin, signal: abort.signal });
    process.exitCode = result.exitCode;
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Safety net: a stray socket or timer must not keep a finished demo alive.
  setTimeout(() => process.exit(), 2000).unref();
}

// Only run when executed directly (tests import parseArgs; the installed command is bin.ts).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
