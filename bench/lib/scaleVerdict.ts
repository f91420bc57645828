/**
 * How bench/scale.ts judges an attempt at N sessions, and when N holds. An attempt that measured
 * nothing (no customer message sent, no agent message injected, no event-loop sample) is invalid:
 * neither a pass nor a fail, it is run again. A valid attempt passes with every session in
 * `chatting`, p99 delivery under the limit, no error and every injected message delivered. A pass
 * whose window held no major GC says so: at 10 000 sessions the stall that decides p99 is the end
 * of a major GC, and V8 may run them 20–50 s apart, so a 30 s window can miss it
 * (docs/performance.md, "Targets not met").
 */
export interface AttemptFigures {
  n: number;
  chatting: number;
  /** Customer messages the worker sent in the window. */
  sent: number;
  /** Agent messages the simulator injected, and those the sessions showed. */
  injected: number;
  received: number;
  eventLoopSamples: number;
  deliveryP99Ms: number;
  errors: number;
  /** Major (mark-compact) GCs of the worker during the window. */
  majorGcs: number;
}

export type AttemptVerdict = { invalid: string } | { pass: true; note?: string } | { pass: false; why: string };

export function judgeAttempt(x: AttemptFigures, p99LimitMs: number): AttemptVerdict {
  if (x.sent === 0) return { invalid: 'no customer message was sent' };
  if (x.injected === 0) return { invalid: 'no agent message was injected' };
  if (x.eventLoopSamples === 0) return { invalid: 'no event-loop delay sample was taken' };
  if (x.chatting < x.n) return { pass: false, why: `${x.n - x.chatting} sessions never reached chatting` };
  if (!(x.deliveryP99Ms < p99LimitMs)) return { pass: false, why: `p99 delivery ${x.deliveryP99Ms.toFixed(0)} ms >= ${p99LimitMs} ms` };
  if (x.errors > 0) return { pass: false, why: `${x.errors} errors` };
  if (x.injected > x.received) return { pass: false, why: `${x.injected - x.received} injected messages not delivered` };
  return x.majorGcs === 0 ? { pass: true, note: 'no major GC in the window' } : { pass: true };
}

/** N holds when it has at least `attempts` valid attempts and every valid one passed. */
export function holds(attemptsAtN: readonly { pass: boolean; invalid?: string }[], attempts: number): boolean {
  const valid = attemptsAtN.filter((a) => a.invalid === undefined);
  return valid.length >= attempts && valid.every((a) => a.pass);
}
