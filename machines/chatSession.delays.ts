/**
 * The named delays of the machine: retry backoffs and the typing / suggestion timers, each a
 * pure function of the context.
 */
import { fnv1a32 } from '../src/client/hash.js';
import { outboxHead } from './chatSession.selectors.js';
import type { ChatSessionContext } from './chatSession.types.js';

type Args = { context: ChatSessionContext };

/** base * 2^(n-1) for the n-th retry (1-based), capped, times `jitter` in [0.5, 1). */
function backoff(n: number, baseMs: number, maxMs: number, jitter: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, n - 1), 30));
  return Math.floor(ceiling * (0.5 + 0.5 * jitter));
}

/**
 * Auth retry n: backoff with a jitter derived from the user and n, so sessions that failed
 * together (one shared token fetch) do not retry in lockstep while the machine stays deterministic.
 */
export function authRetryDelay({ context }: Args): number {
  const { authRetryBaseMs, authRetryMaxMs } = context.config.timing;
  const n = context.bookkeeping.authAttempts;
  return backoff(n, authRetryBaseMs, authRetryMaxMs, unitHash(`${context.identity.userId}:auth:${n}`));
}

/** getsatisfactionsurveymode retry n: as authRetryDelay. */
export function surveyModeRetryDelay({ context }: Args): number {
  const { surveyModeRetryBaseMs, surveyModeRetryMaxMs } = context.config.timing;
  const n = context.bookkeeping.surveyModeAttempts;
  return backoff(n, surveyModeRetryBaseMs, surveyModeRetryMaxMs, unitHash(`${context.identity.userId}:survey:${n}`));
}

/** CONNECT retry n (1-based): base * 2^(n-1), capped. */
export function connectRetryDelay({ context }: Args): number {
  const { connectRetryBaseMs, connectRetryMaxMs } = context.config.timing;
  const exponent = Math.max(0, context.bookkeeping.connectAttempts - 1);
  return Math.min(connectRetryMaxMs, connectRetryBaseMs * 2 ** exponent);
}

/**
 * Automatic resend n (1-based, `resends` of the head): base * 2^(n-1), capped, scaled by a
 * jitter in [0.5, 1) derived from the message id, so sessions that lost the network together
 * do not resend in lockstep while the machine stays deterministic.
 */
export function sendRetryDelay({ context }: Args): number {
  const { sendRetryBaseMs, sendRetryMaxMs } = context.config.timing;
  const head = outboxHead(context);
  const n = Math.max(1, head?.resends ?? 1);
  return backoff(n, sendRetryBaseMs, sendRetryMaxMs, unitHash(`${head?.localId ?? ''}:${n}`));
}

/** A stable number in [0, 1) from a string. */
function unitHash(text: string): number {
  return fnv1a32(text) / 4294967296;
}

export function suggestionDebounce({ context }: Args): number {
  return context.config.timing.suggestionDebounceMs;
}

export function typingThrottle({ context }: Args): number {
  return context.config.timing.typingThrottleMs;
}
