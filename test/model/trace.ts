/**
 * What a real run did, in one order: the client calls the session made (each start and end) and
 * the real actor's macrosteps, numbered by one counter, plus the simulator's request log. The
 * temporal oracles (temporal.ts) judge this.
 */
import type { AiccClient } from '../../src/client/types.js';
import type { RecordedRequest } from '../../src/simulator/index.js';
import type { MachineSnapshot } from './types.js';

export interface ClientCall {
  seq: number;
  /** The client method (`poll`, `send`, ...). */
  api: string;
  /** A send / sendAsync: the uplink's controlType (CHAT, DISCONNECT, ...). */
  controlType?: string;
  phase: 'start' | 'end';
  /** Which call this is (start and end share it). */
  call: number;
}

export interface TraceStep {
  seq: number;
  event: { type: string } & Record<string, unknown>;
  snapshot: MachineSnapshot;
}

export interface Trace {
  calls: readonly ClientCall[];
  steps: readonly TraceStep[];
  /** The simulator's requests of this user (and those it answered before knowing the user). */
  requests: readonly RecordedRequest[];
  /** The real actor's snapshot when the run was over. */
  last: MachineSnapshot | undefined;
}

/** A shared counter: client calls and macrosteps of one run, in the order they happened. */
export class Sequence {
  private n = 0;
  next(): number {
    return ++this.n;
  }
}

/**
 * The client, with every call recorded (start, and end whether it resolved or failed). The real
 * promise is returned unchanged in behaviour; a breakage (breakages.ts) wraps this one, so what it
 * adds is recorded too.
 */
export function journaled(client: AiccClient, seq: Sequence, calls: ClientCall[]): AiccClient {
  let count = 0;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const call = ++count;
        const input = args[0] as { controlType?: unknown } | undefined;
        const controlType = typeof input?.controlType === 'string' ? input.controlType : undefined;
        const entry = (phase: 'start' | 'end'): ClientCall => ({ seq: seq.next(), api: property, phase, call, ...(controlType ? { controlType } : {}) });
        calls.push(entry('start'));
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) {
          calls.push(entry('end'));
          return result;
        }
        return result.finally(() => calls.push(entry('end')));
      };
    },
  });
}
