/**
 * Runs an example chat widget against the embedded simulator, behind the gateway, until Ctrl-C:
 *
 *   npm run demo:web                       # React, Vite dev server with hot reload
 *   npm run demo:web -- --build            # React, production build (with a strict CSP)
 *   npm run demo:vue | npm run demo:svelte
 *   node --import tsx examples/server.ts [--app react|vue|svelte] [--build] [--port 5173]
 *        [--host 127.0.0.1] [--scenario robot-then-agent]
 *   node --import tsx examples/server.ts --root DIR   # any Vite app, e.g. your copy of examples/react-starter
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCENARIO_NAMES, type ScenarioName } from '../src/simulator/index.js';
import { EXAMPLE_APPS, startDemoServer, type DemoServerOptions, type ExampleApp } from './shared/demoServer.js';

const USAGE = `usage: examples/server.ts [--app ${EXAMPLE_APPS.join('|')}] [--root DIR] [--build] [--port N] [--host H] [--scenario ${SCENARIO_NAMES.join('|')}]`;

export function parseArgs(argv: readonly string[]): DemoServerOptions {
  const options: DemoServerOptions = { port: 5173 };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--app': {
        const app = value();
        if (!(EXAMPLE_APPS as readonly string[]).includes(app)) throw new Error(`unknown app "${app}"\n${USAGE}`);
        options.app = app as ExampleApp;
        break;
      }
      case '--root':
        options.root = path.resolve(value());
        break;
      case '--build':
        options.mode = 'build';
        break;
      case '--port': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new Error(`--port needs a number, got "${v}"\n${USAGE}`);
        options.port = Number(v);
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--scenario': {
        const name = value();
        if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}"\n${USAGE}`);
        options.scenario = name as ScenarioName;
        break;
      }
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument "${arg}"\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  let options: DemoServerOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
    return;
  }
  const demo = await startDemoServer(options);
  console.log(`\n  aicc-chat-machine ${options.root ?? `${demo.app} example`} (${options.mode === 'build' ? 'production build' : 'Vite dev server'})`);
  console.log(`\n  ➜  open ${demo.url}\n`);
  console.log(`  simulator   ${demo.sim.url}  scenario ${demo.sim.scenario.name}  (only the gateway talks to it)`);
  console.log(`  gateway     ${demo.url}aicc  (AK/SK stay in this process)`);
  console.log(`  new user    ${demo.url}?new${options.root ? '' : "   ·   play the agent with the page's simulator panel"}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
