/**
 * Options and result of the `npm start` demo (src/demo/cli.ts). The demo runs one complete chat
 * session through `createChatSession` and the real HTTP client, against the embedded simulator
 * (default) or a real AICC tenant, and prints it as a chat transcript.
 */
import type { EndReason } from '../../machines/chatSession.types.js';
import type { ProtocolViolation, ScenarioName } from '../simulator/types.js';

export type DemoMode = 'script' | 'interactive';

/** Where the session goes: the embedded simulator, or a real tenant / your gateway. */
export type DemoTarget =
  | {
      kind: 'simulator';
      scenario: ScenarioName;
      /** Listen port of the simulator; 0 = any free port. */
      port: number;
    }
  | {
      kind: 'remote';
      baseUrl: string;
      channelId: string;
      /** Your back end's token endpoint (POST identity → `{ "token": "..." }` or the bare token). */
      tokenUrl?: string;
      /** Direct server-side use: AK/SK for the API Fabric gateway (and applyToken when no tokenUrl). */
      appKey?: string;
      appSecret?: string;
    };

export interface DemoOptions {
  target: DemoTarget;
  mode: DemoMode;
  userId: string;
  userName: string;
  locale: string;
  /** ANSI colours in the output. */
  color: boolean;
  /**
   * Pause between two scripted customer actions, ms (reads like a conversation). Default 150
   * against the simulator.
   */
  paceMs: number;
  /** Long-poll window of the simulator (and what the client expects), ms. */
  longPollMs?: number;
  /** Give up waiting for one scripted step after this long, ms. */
  stepTimeoutMs: number;
}

export interface DemoResult {
  exitCode: number;
  endReason: EndReason | null;
  /** The end reasons this run counts as a success. */
  expectedEndReasons: readonly EndReason[];
  /** Display names of the states, in the order they were visited. */
  statePath: string[];
  messagesIn: number;
  messagesOut: number;
  filesSent: number;
  filesReceived: number;
  /** null when talking to a real server (nothing records violations there). */
  violations: ProtocolViolation[] | null;
  /** Why the run failed, when exitCode is not 0. */
  failure: string | null;
  durationMs: number;
}

/** Where the demo prints: process.stdout, or a PassThrough in tests. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };
