/**
 * Runs the simulator until SIGINT/SIGTERM:
 *   npx aicc-chat-machine-simulator (installed package; bin.ts), or in this repository
 *   node --import tsx src/simulator/cli.ts [--port 8080] [--host 127.0.0.1]
 *        [--scenario robot-then-agent] [--long-poll-ms 5000]
 */
import { pathToFileURL } from 'node:url';
import { API_PATHS } from '../client/protocol.js';
import { SCENARIO_NAMES, isScenarioName } from './scenarios.js';
import { startSimulator } from './index.js';
import type { SimulatorOptions } from './types.js';

const USAGE = `usage: aicc-chat-machine-simulator [--port N] [--host H] [--scenario ${SCENARIO_NAMES.join('|')}] [--long-poll-ms N]`;

export function parseArgs(argv: readonly string[]): SimulatorOptions {
  const options: SimulatorOptions = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const int = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer, got "${v}"\n${USAGE}`);
      return Number(v);
    };
    switch (flag) {
      case '--port':
        options.port = int();
        break;
      case '--host':
        options.host = value();
        break;
      case '--scenario': {
        const name = value();
        if (!isScenarioName(name)) throw new Error(`unknown scenario "${name}"\n${USAGE}`);
        options.scenario = name;
        break;
      }
      case '--long-poll-ms':
        options.timing = { ...options.timing, longPollWindowMs: int() };
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  return options;
}

/** The command: parse process.argv, run the simulator until SIGINT/SIGTERM. */
export async function main(): Promise<void> {
  let options: SimulatorOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
    return;
  }
  const sim = await startSimulator({ port: 8080, ...options });
  const { appKey, appSecret } = sim.credentials;
  const u = sim.url;
  console.log(`AICC CC-Messaging simulator listening on ${u}
  scenario:   ${sim.scenario.name}
  channel id: ${sim.channelId}
  app key:    ${appKey}
  app secret: ${appSecret}

Try it:
  AT=$(curl -s -X POST ${u}${API_PATHS.tokenByAkSk} -H 'Content-Type: application/json' \\
       -d '{"app_key":"${appKey}","app_secret":"${appSecret}"}' | sed -E 's/.*"AccessToken":"([^"]+)".*/\\1/')
  TOKEN=$(curl -s -X POST ${u}${API_PATHS.applyToken} -H 'Content-Type: application/json' \\
       -H "x-app-key: ${appKey}" -H "Authorization: Bearer $AT" \\
       -d '{"userId":"u1","userName":"Demo","channelId":"${sim.channelId}","locale":"en_US"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
  H=(-H 'Content-Type: application/json' -H "x-app-key: ${appKey}" -H "Authorization: Bearer $AT" -H "ccmessaging-token: $TOKEN")
  curl -s -X POST ${u}${API_PATHS.send} "\${H[@]}" \\
       -d '{"channel":"WEB","controlType":"CONNECT","mediaType":"TEXT","content":"","from":"u1","to":"${sim.channelId}","sourceType":"CUSTOMER"}'
  curl -s "${u}${API_PATHS.poll}?receiverId=u1&channel=WEB" "\${H[@]}"

Ctrl+C to stop.`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: closing simulator`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// Only run when executed directly (tests import parseArgs).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
