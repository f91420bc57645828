/**
 * The interactive demo (stdin is a terminal): a readline prompt under the live transcript. Plain
 * lines are chat messages, `/…` lines commands (see commands.ts). Ctrl+C or Ctrl+D ends the chat
 * and skips what follows; a second Ctrl+C stops at once.
 */
import { clearLine, createInterface, cursorTo, moveCursor } from 'node:readline';
import type { Simulator } from '../simulator/index.js';
import { parseCommand } from './commands.js';
import type { DemoController } from './controller.js';
import type { Paint } from './render.js';
import type { OutputStream } from './types.js';
import { transcriptEntries } from '../index.js';

/** Where printed lines go; the interactive loop swaps it for one that redraws the prompt. */
export interface LineSink {
  writeLine: (line: string) => void;
}

export interface InteractiveOptions {
  input: NodeJS.ReadableStream;
  output: OutputStream;
  sink: LineSink;
  paint: Paint;
  sim: Simulator | null;
  userId: string;
  /** How long the simulated agent takes to acknowledge a file, ms. */
  agentReplyDelayMs: number;
}

export async function runInteractive(ctl: DemoController, options: InteractiveOptions): Promise<void> {
  const { input, output, sink, paint } = options;
  const terminal = output.isTTY === true;
  const rl = createInterface({ input, output, prompt: terminal ? paint('bold', '> ') : '', terminal });
  let closed = false;
  const previous = sink.writeLine;
  sink.writeLine = (line) => {
    if (terminal) {
      clearLine(output, 0);
      cursorTo(output, 0);
    }
    output.write(`${line}\n`);
    if (!closed && terminal) rl.prompt(true);
  };
  sink.writeLine(paint('dim', 'Type a message and press Enter. /help lists the commands, /end ends the chat.'));

  if (options.sim) acknowledgeFiles(ctl, options.sim, options.userId, options.agentReplyDelayMs);

  let queue = Promise.resolve();
  rl.on('line', (line) => {
    const command = parseCommand(line);
    if (terminal && command.kind === 'say') {
      // The transcript shows it as "You: …"; drop the echoed prompt line.
      moveCursor(output, 0, -1);
      clearLine(output, 0);
    }
    queue = queue.then(async () => {
      // Piped input is not echoed by a terminal: show commands where they take effect.
      if (!terminal && command.kind !== 'say' && command.kind !== 'empty') sink.writeLine(paint('dim', `> ${line.trim()}`));
      await ctl.run(command);
      if (!closed && terminal) rl.prompt();
    });
  });
  let interrupts = 0;
  rl.on('SIGINT', () => {
    interrupts += 1;
    if (interrupts === 1) {
      sink.writeLine(paint('dim', 'ending the chat (Ctrl+C again to stop at once)'));
      ctl.quit();
    } else ctl.stop();
  });
  rl.on('close', () => {
    if (!closed) ctl.quit(); // Ctrl+D / end of input
  });
  rl.prompt();

  await ctl.finished;
  await queue;
  closed = true;
  if (terminal) {
    clearLine(output, 0);
    cursorTo(output, 0);
  }
  rl.close();
  sink.writeLine = previous;
}

/** The simulated agent says thanks for every file the customer sends. */
function acknowledgeFiles(ctl: DemoController, sim: Simulator, userId: string, delayMs: number): void {
  const acknowledged = new Set<string>();
  ctl.onSnapshot((snapshot) => {
    if (snapshot.context.servedBy !== 'agent') return;
    for (const entry of transcriptEntries(snapshot.context.transcript)) {
      if (entry.kind !== 'outgoing' || entry.file === null || entry.status !== 'sent' || acknowledged.has(entry.key)) continue;
      acknowledged.add(entry.key);
      const name = entry.file.name;
      setTimeout(() => {
        try {
          sim.agent.say(userId, `Thanks, I received ${name}.`);
        } catch {
          // The chat ended in between.
        }
      }, delayMs).unref();
    }
  });
}
