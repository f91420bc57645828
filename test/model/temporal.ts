/**
 * Named temporal oracles over a real run's trace (trace.ts), for the random walks (walks.ts).
 * They say what must hold of the whole run, whatever the path was, independently of the model:
 * `always` / `never` ones at every point of the run (so a prefix can already violate them, and a
 * walk stops at the first step that does), `eventually` ones at the end of a run that was driven
 * to its end.
 */
import { END_REASONS } from '../../machines/chatSession.types.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import type { Trace } from './trace.js';

export interface TemporalOracle {
  name: string;
  kind: 'always' | 'never' | 'eventually';
  /** What is wrong with the trace, or null. */
  violation(trace: Trace): string | null;
}

export class OracleViolation extends Error {
  constructor(
    readonly oracle: string,
    readonly detail: string,
  ) {
    super(`temporal oracle "${oracle}" violated: ${detail}`);
    this.name = 'OracleViolation';
  }
}

const atMostOnePoll: TemporalOracle = {
  name: 'always at most one poll in flight',
  kind: 'always',
  violation: (trace) => {
    let open = 0;
    for (const c of trace.calls) {
      if (c.api !== 'poll') continue;
      open += c.phase === 'start' ? 1 : -1;
      if (open > 1) return `${open} polls in flight at once (client call #${c.call} started while another was open)`;
    }
    return null;
  },
};

const keysOnce: TemporalOracle = {
  name: 'never a key twice in the transcript',
  kind: 'never',
  violation: (trace) => {
    for (const step of trace.steps) {
      const keys = transcriptEntries(step.snapshot.context.transcript).map((e) => e.key);
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice !== undefined) return `key ${twice} twice after ${step.event.type}`;
    }
    return null;
  },
};

const outboxSettles: TemporalOracle = {
  name: 'eventually every outbox entry is sent or visibly failed',
  kind: 'eventually',
  violation: (trace) => {
    if (!trace.last) return 'the session never started';
    const open = transcriptEntries(trace.last.context.transcript).flatMap((e) =>
      e.kind === 'outgoing' && !(e.status === 'sent' || (e.status === 'failed' && e.error !== undefined)) ? [`${e.localId} ${e.status}${e.status === 'failed' ? ' without an error' : ''}`] : [],
    );
    return open.length ? `at the end: ${open.join(', ')}` : null;
  },
};

const endsTyped: TemporalOracle = {
  name: 'eventually every session reaches a final state with a typed reason',
  kind: 'eventually',
  violation: (trace) => {
    const last = trace.last;
    if (!last) return 'the session never started';
    if (last.status !== 'done') return `it is still ${last.status} in ${JSON.stringify(last.value)} after the walk and the drain`;
    const reason = last.output?.endReason;
    return (END_REASONS as readonly unknown[]).includes(reason) ? null : `it ended with reason ${JSON.stringify(reason)}, not one of END_REASONS`;
  },
};

function hasDisconnect(event: Record<string, unknown>): boolean {
  return Array.isArray(event.messages) && (event.messages as { controlType?: unknown }[]).some((m) => m.controlType === 'DISCONNECT');
}

const noMessageAfterDisconnect: TemporalOracle = {
  name: 'never a customer message sent after DISCONNECT',
  kind: 'never',
  violation: (trace) => {
    // Ours: the first DISCONNECT uplink the client started. Theirs: the first DISCONNECT downlink
    // the real actor processed. Either way, no CHAT uplink may start after it...
    const ours = trace.calls.find((c) => c.phase === 'start' && c.controlType === 'DISCONNECT');
    const theirs = trace.steps.find((s) => hasDisconnect(s.event));
    const since = Math.min(ours?.seq ?? Infinity, theirs?.seq ?? Infinity);
    const late = trace.calls.find((c) => c.phase === 'start' && c.controlType === 'CHAT' && c.seq > since);
    if (late) return `a CHAT uplink (client call #${late.call}) started after the ${ours && ours.seq === since ? "customer's DISCONNECT" : 'DISCONNECT downlink'}`;
    // ...and none may reach the server after the customer's DISCONNECT did.
    const body = (r: Trace['requests'][number]) => r.body as { controlType?: unknown } | undefined;
    const disconnect = trace.requests.find((r) => body(r)?.controlType === 'DISCONNECT');
    const after = disconnect && trace.requests.find((r) => r.seq > disconnect.seq && body(r)?.controlType === 'CHAT');
    return after ? `the simulator received a CHAT (request ${after.seq}) after the DISCONNECT (request ${disconnect.seq})` : null;
  },
};

/** The messages an event handed the session (a poll batch, a lost end, the catch-up at CONNECT or DISCONNECT). */
function handedOver(event: Record<string, unknown>): { key?: unknown; controlType?: unknown }[] {
  const lists = [event.messages, (event.output as { messages?: unknown } | undefined)?.messages, (event.error as { recovered?: unknown } | undefined)?.recovered];
  return lists.flatMap((list) => (Array.isArray(list) ? (list as { key?: unknown; controlType?: unknown }[]) : []));
}

const nothingReceivedIsLost: TemporalOracle = {
  name: 'eventually every message the session received is in the transcript',
  kind: 'eventually',
  violation: (trace) => {
    if (!trace.last) return null;
    const keys = new Set(transcriptEntries(trace.last.context.transcript).map((e) => e.key));
    for (const step of trace.steps) {
      // READ receipts mark outgoing entries; they are no entry of their own.
      const lost = handedOver(step.event).find((m) => m.controlType !== 'READ' && typeof m.key === 'string' && !keys.has(m.key));
      if (lost) return `${String(lost.controlType)} ${String(lost.key)} came with ${step.event.type} and is not in the transcript at the end`;
    }
    return null;
  },
};

export const TEMPORAL_ORACLES: readonly TemporalOracle[] = [
  atMostOnePoll,
  keysOnce,
  outboxSettles,
  endsTyped,
  noMessageAfterDisconnect,
  nothingReceivedIsLost,
];

/** The first oracle the trace violates, of the given kinds. */
export function firstViolation(trace: Trace, kinds: readonly TemporalOracle['kind'][] = ['always', 'never', 'eventually']): OracleViolation | null {
  for (const oracle of TEMPORAL_ORACLES) {
    if (!kinds.includes(oracle.kind)) continue;
    const detail = oracle.violation(trace);
    if (detail !== null) return new OracleViolation(oracle.name, detail);
  }
  return null;
}
