/**
 * How the demo sets up the embedded simulator and the session's timings: small delays for the
 * scripted run (a few seconds end to end, queue positions visibly moving), human-scale ones
 * for the interactive run, the library defaults against a real server.
 */
import type { ChatTiming } from '../index.js';
import type { ScenarioName, ScenarioOverrides, SimulatorTiming } from '../simulator/index.js';
import type { DemoMode } from './types.js';

/** The simulated agent's auto reply: a little more conversational than the preset. */
export function demoAgentReply(text: string): string {
  if (/\b(thanks|thank you|that's all|bye)\b/i.test(text)) return 'You are welcome! Have a nice day.';
  if (/\b(damaged|broken|photo|picture)\b/i.test(text)) return 'Sorry to hear that! Could you send me a photo of the damage?';
  return `Let me check that for you: "${text}".`;
}

/** The preset, with a queue of three in front of the customer (none for no-survey). */
export function demoScenario(name: ScenarioName): ScenarioOverrides {
  return {
    name,
    initialQueuePosition: name === 'no-survey' ? 0 : 3,
    agent: { reply: demoAgentReply },
  };
}

export function simulatorTiming(mode: DemoMode, longPollMs?: number): Partial<SimulatorTiming> {
  return mode === 'script'
    ? { longPollWindowMs: longPollMs ?? 1000, queueAdvanceMs: 300, robotReplyDelayMs: 120, agentReplyDelayMs: 200 }
    : { longPollWindowMs: longPollMs ?? 5000, queueAdvanceMs: 1500, robotReplyDelayMs: 500, agentReplyDelayMs: 1200 };
}

/** Machine timings for the simulator runs; a real server gets the library defaults. */
export function sessionTiming(mode: DemoMode, simulator: boolean): Partial<ChatTiming> {
  if (!simulator) return {};
  return mode === 'script'
    ? {
        queueIntervalMs: 100,
        pollMinIntervalMs: 100,
        pollBackoffBaseMs: 100,
        pollBackoffMaxMs: 1000,
        suggestionDebounceMs: 50,
        connectRetryBaseMs: 200,
        connectRetryMaxMs: 1000,
        surveyModeRetryBaseMs: 100,
        surveyModeRetryMaxMs: 1000,
      }
    : { queueIntervalMs: 500, suggestionDebounceMs: 300 };
}
