/**
 * The command line: argument parsing (unit) and `node --import tsx src/demo/cli.ts` as a child
 * process without a terminal, the way CI runs `npm start`.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { USAGE, UsageError, parseArgs, type ParseEnvironment } from '../../src/demo/cli.js';
import { expectedEndReasons } from '../../src/demo/run.js';

const noTty: ParseEnvironment = { env: {}, stdinIsTTY: false, stdoutIsTTY: false };
const tty: ParseEnvironment = { env: {}, stdinIsTTY: true, stdoutIsTTY: true };

function usageError(argv: string[], environment: ParseEnvironment = noTty): string {
  try {
    parseArgs(argv, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`parseArgs(${argv.join(' ')}) did not fail`);
}

describe('parseArgs', () => {
  it('defaults: the embedded simulator, robot-then-agent, scripted without a terminal, no colours', () => {
    const { help, options } = parseArgs([], noTty);
    expect(help).toBe(false);
    expect(options).toMatchObject({
      target: { kind: 'simulator', scenario: 'robot-then-agent', port: 0 },
      mode: 'script',
      userName: 'Demo Customer',
      locale: 'en_US',
      color: false,
      paceMs: 150,
      stepTimeoutMs: 10_000,
    });
    expect(options.userId).toMatch(/^demo-[0-9a-f]{6}$/);
    expect(options.longPollMs).toBeUndefined();
  });

  it('a terminal means interactive and colours, unless NO_COLOR or flags say otherwise', () => {
    expect(parseArgs([], tty).options).toMatchObject({ mode: 'interactive', color: true });
    expect(parseArgs([], { ...tty, env: { NO_COLOR: '1' } }).options.color).toBe(false);
    expect(parseArgs([], { ...tty, env: { NO_COLOR: '' } }).options.color).toBe(true);
    expect(parseArgs(['--script', '--no-color'], tty).options).toMatchObject({ mode: 'script', color: false });
    expect(parseArgs(['--interactive', '--color'], noTty).options).toMatchObject({ mode: 'interactive', color: true });
  });

  it('scenario, port, timings and identity, as "--flag value" or "--flag=value"', () => {
    const { options } = parseArgs(
      ['--scenario', 'after-hours', '--port=8081', '--long-poll-ms', '400', '--pace-ms=0', '--step-timeout-ms', '5000', '--user-id', 'ada-1', '--user-name=Ada L', '--locale', 'zh_CN'],
      noTty,
    );
    expect(options).toMatchObject({
      target: { kind: 'simulator', scenario: 'after-hours', port: 8081 },
      longPollMs: 400,
      paceMs: 0,
      stepTimeoutMs: 5000,
      userId: 'ada-1',
      userName: 'Ada L',
      locale: 'zh_CN',
    });
  });

  it('--help', () => {
    expect(parseArgs(['--help'], noTty).help).toBe(true);
    expect(parseArgs(['-h'], noTty).help).toBe(true);
    expect(USAGE).toContain('--scenario');
    expect(USAGE).toContain('AICC_APP_SECRET');
  });

  it('refuses unknown flags and bad values', () => {
    expect(usageError(['--bogus'])).toBe('unknown argument "--bogus"');
    expect(usageError(['extra'])).toBe('unknown argument "extra"');
    expect(usageError(['--scenario', 'nope'])).toMatch(/^unknown scenario "nope" \(one of robot-only, /);
    expect(usageError(['--scenario'])).toBe('--scenario needs a value');
    expect(usageError(['--port', 'x'])).toMatch(/needs a non-negative integer/);
    expect(usageError(['--port', '70000'])).toMatch(/at most 65535/);
    expect(usageError(['--user-id', 'x'.repeat(25)])).toMatch(/1-24 characters/);
    expect(usageError(['--locale', 'english'])).toMatch(/--locale looks like en or en_US/);
    expect(usageError(['--script', '--interactive'])).toMatch(/exclude each other/);
    expect(usageError(['--script=yes'])).toBe('--script takes no value');
  });

  describe('a real server', () => {
    it('--base-url with --token-url and --channel-id (the browser-like set-up)', () => {
      const { options } = parseArgs(['--base-url', 'https://aicc.example.com/', '--channel-id', '42', '--token-url', 'https://my-server/token'], noTty);
      expect(options.target).toEqual({ kind: 'remote', baseUrl: 'https://aicc.example.com', channelId: '42', tokenUrl: 'https://my-server/token' });
      expect(options).toMatchObject({ paceMs: 500, stepTimeoutMs: 120_000 });
    });

    it('AK/SK and the channel from the environment (direct server-side use)', () => {
      const env = { AICC_APP_KEY: 'key', AICC_APP_SECRET: 'secret', AICC_CHANNEL_ID: '7' };
      const { options } = parseArgs(['--base-url', 'https://aicc.example.com'], { ...noTty, env });
      expect(options.target).toEqual({ kind: 'remote', baseUrl: 'https://aicc.example.com', channelId: '7', appKey: 'key', appSecret: 'secret' });
      // --app-key overrides the environment; the secret never comes from the command line.
      expect(parseArgs(['--base-url', 'https://a.example', '--app-key', 'k2'], { ...noTty, env }).options.target).toMatchObject({ appKey: 'k2', appSecret: 'secret' });
      expect(usageError(['--base-url', 'https://a.example', '--app-secret', 's'], { ...noTty, env })).toMatch(/AICC_APP_SECRET environment variable/);
    });

    it('refuses incomplete or contradictory combinations', () => {
      expect(usageError(['--base-url', 'ftp://x'])).toMatch(/needs an http\(s\) URL/);
      expect(usageError(['--base-url', 'https://a.example', '--token-url', 'https://t'])).toMatch(/needs --channel-id/);
      expect(usageError(['--base-url', 'https://a.example', '--channel-id', '1'])).toMatch(/needs --token-url, or AICC_APP_KEY and AICC_APP_SECRET/);
      expect(usageError(['--base-url', 'https://a.example', '--channel-id', '1'], { ...noTty, env: { AICC_APP_KEY: 'k' } })).toMatch(/needs both/);
      expect(usageError(['--base-url', 'https://a.example', '--channel-id', '1', '--token-url', 'https://t', '--scenario', 'robot-only'])).toMatch(/--scenario/);
      expect(usageError(['--base-url', 'https://a.example', '--channel-id', '1', '--token-url', 'https://t', '--port', '1'])).toMatch(/--port/);
      expect(usageError(['--token-url', 'https://t'])).toMatch(/--token-url needs --base-url/);
    });
  });

  it('which end reasons count as success', () => {
    const sim = (scenario: 'after-hours' | 'robot-only') => ({ kind: 'simulator' as const, scenario, port: 0 });
    expect(expectedEndReasons({ mode: 'script', target: sim('robot-only') })).toEqual(['customer-ended']);
    expect(expectedEndReasons({ mode: 'script', target: sim('after-hours') })).toEqual(['message-left']);
    expect(expectedEndReasons({ mode: 'interactive', target: sim('robot-only') })).toContain('agent-ended');
  });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['NO_COLOR'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/cli.ts', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('the CLI as a child process (no terminal: scripted)', () => {
  it('runs the full session and exits 0 with the summary as the last line', async () => {
    const { code, stdout, stderr } = await run([]);
    const lines = stdout.trimEnd().split('\n');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toContain('\u001b['); // a pipe gets no colours
    expect(lines.at(-2)).toMatch(/^ended: customer-ended/);
    expect(lines.at(-1)).toMatch(/^summary: \d+ messages in, \d+ out, files 1 sent \/ 1 received, 10 states visited, protocol violations 0, [\d.]+ s$/);
  });

  it('an unknown flag prints the usage to stderr and exits 2', async () => {
    const { code, stdout, stderr } = await run(['--bogus']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown argument "--bogus"');
    expect(stderr).toContain('usage: npx aicc-chat-machine-demo [options]');
  });
});
