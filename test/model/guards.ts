/**
 * Guard-outcome coverage (issue 14): every named guard of the shipped machine must be seen both
 * true and false by the REAL actors of the model-based run, or be listed in GUARD_ALLOWANCES
 * with the reason one outcome cannot (or need not) happen.
 *
 * XState 5's inspection stream carries no guard results (`@xstate.microstep` has the transitions
 * taken, not the guards tried), so the guards are observed at the source: the machine that
 * `createChatSession` runs (its shared machine, `chatSessionMachine.provide({ actors })`) gets
 * each entry of `implementations.guards` replaced by a wrapper that calls the real guard and
 * records its name and result. XState looks a named guard up by name at every evaluation
 * (`snapshot.machine.implementations.guards[name]`), so every evaluation of the real actors is
 * seen: transition guards (taken or not), `always` guards and `check(...)` inside actions. The
 * model's traversal steps the unprovided `chatSessionMachine`, whose guards stay untouched, so
 * only real runs count.
 */
import type { AnyStateMachine } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { createAiccClient } from '../../src/client/index.js';
import { createChatSession, type ChatSessionActor } from '../../src/session/createChatSession.js';
import { TRANSITIONS } from './coverage.js';
import { CHANNEL, MODEL_USER, sessionInput } from './fixtures.js';

type Outcome = 'true' | 'false';

/** Every named guard of the shipped machine (read from the machine, not written down here). */
export const GUARD_NAMES: readonly string[] = Object.keys(chatSessionMachine.implementations.guards);

/**
 * Guards allowed to be seen one way only: the outcome that is never seen, and why. Everything
 * else must be seen both ways. A stale entry (a guard that no longer exists, or whose "missing"
 * outcome was seen after all) fails the suite.
 */
export const GUARD_ALLOWANCES: Readonly<Record<string, { missing: Outcome; reason: string }>> = {};

/** Evaluations seen on the real actors, over all paths of the run: guard → outcome → count. */
export const realGuards = new Map<string, { true: number; false: number }>(GUARD_NAMES.map((name) => [name, { true: 0, false: 0 }]));

function record(name: string, result: unknown): boolean {
  const counts = realGuards.get(name) ?? { true: 0, false: 0 };
  realGuards.set(name, counts);
  counts[result ? 'true' : 'false'] += 1;
  return Boolean(result);
}

type GuardImpl = ((args: unknown, params: unknown) => unknown) & {
  check?: (snapshot: unknown, args: unknown, self: unknown) => unknown;
};

/** Replaces each named guard of `machine` by a recording wrapper around the real one. */
function instrument(machine: AnyStateMachine): void {
  const table = machine.implementations.guards as Record<string, GuardImpl>;
  for (const [name, real] of Object.entries(table)) {
    if (typeof real !== 'function') throw new Error(`guard ${name} is not a function: not observable`);
    // Built-in guards (stateIn, and, or, not) are evaluated through `check(snapshot, args, self)`,
    // `self` carrying their parameters (e.g. stateIn's stateValue): keep those, wrap `check`.
    const wrapped: GuardImpl =
      typeof real.check === 'function'
        ? Object.assign(function builtin() {
            return false;
          }, real, { check: (snapshot: unknown, args: unknown) => record(name, real.check!(snapshot, args, real)) })
        : (args: unknown, params: unknown) => record(name, real(args, params));
    table[name] = wrapped;
  }
}

let observed: AnyStateMachine | undefined;

/**
 * Instruments the machine createChatSession gives every session with the default actors, once,
 * before the first real session exists (a probe session, never started, hands it over; its
 * construction evaluates the initial state before the guards are wrapped, so nothing of it counts).
 */
export function observeRealGuards(): void {
  if (observed) return;
  const probe = createChatSession({
    client: createAiccClient({ baseUrl: 'http://127.0.0.1:9' }),
    ...sessionInput('send', `${MODEL_USER}-guard-probe`, CHANNEL),
  });
  observed = probe.logic;
  instrument(observed);
}

/** Fails loudly when a real session does not run the instrumented machine (nothing would be seen). */
export function assertObserved(actor: ChatSessionActor): void {
  if (!observed || actor.logic !== observed) {
    throw new Error('guard coverage: the real session does not run the instrumented machine (createChatSession built a machine of its own)');
  }
}

/** Where each guard is referenced by a transition of the config (guards used in actions have none). */
function uses(name: string): string {
  const sites = TRANSITIONS.filter((t) => t.guard === name).map((t) => {
    const source = t.source === 'chatSession' ? '(root)' : t.source.replace(/^chatSession\./, '');
    const event = t.eventType.startsWith('xstate.after.') ? `after ${t.eventType.split('.')[2]}` : t.eventType.replace(/^xstate\./, '');
    return `${source} ${event}`;
  });
  return sites.length ? [...new Set(sites)].join('; ') : 'check() in actions';
}

export interface GuardReport {
  /** Outcomes never seen and not allowed, as `<guard>: never true|false`. */
  missing: string[];
  /** Allowances that name no guard, or whose missing outcome was seen after all. */
  stale: string[];
  /** Guards seen both ways, of those that must be (every guard not allowed one way). */
  both: number;
  required: number;
  table: string;
}

/** Checks the outcomes seen against the allow-list; the table printed at the end of the run. */
export function guardReport(
  seen: ReadonlyMap<string, { true: number; false: number }> = realGuards,
  allowances: Readonly<Record<string, { missing: Outcome; reason: string }>> = GUARD_ALLOWANCES,
): GuardReport {
  const counts = (name: string) => seen.get(name) ?? { true: 0, false: 0 };
  const missing: string[] = [];
  const stale: string[] = [];
  for (const [name, allowance] of Object.entries(allowances)) {
    if (!GUARD_NAMES.includes(name)) stale.push(`${name}: no such guard`);
    else if (counts(name)[allowance.missing] > 0) stale.push(`${name}: allowed never ${allowance.missing}, but it was seen ${allowance.missing}`);
  }
  const pad = (s: string, n: number) => s.padEnd(n);
  const lines: string[] = [''];
  lines.push('Guard outcomes of chatSessionMachine (every evaluation by the REAL actors, recorded by wrapping the named guards)');
  lines.push('─'.repeat(100));
  lines.push(`${pad('guard', 24)}${pad('true', 8)}${pad('false', 8)}${pad('', 16)}used by`);
  for (const name of GUARD_NAMES) {
    const c = counts(name);
    const allowed = allowances[name]?.missing;
    const gaps = (['true', 'false'] as const).filter((o) => c[o] === 0 && allowed !== o);
    for (const o of gaps) missing.push(`${name}: never ${o}`);
    const verdict = gaps.length ? `MISSING ${gaps.join('+')}` : c.true > 0 && c.false > 0 ? 'both' : `allowed: ${allowed}`;
    lines.push(`${pad(name, 24)}${pad(String(c.true), 8)}${pad(String(c.false), 8)}${pad(verdict, 16)}${uses(name)}`);
  }
  const required = GUARD_NAMES.filter((name) => !(name in allowances));
  const both = required.filter((name) => counts(name).true > 0 && counts(name).false > 0).length;
  lines.push('─'.repeat(100));
  lines.push(
    `guard outcomes: ${both}/${required.length} guards seen true and false (${
      required.length ? ((100 * both) / required.length).toFixed(1) : '100.0'
    }%); ${GUARD_NAMES.length} named guards, ${Object.keys(allowances).length} allowed one way`,
  );
  for (const m of missing) lines.push(`NOT SEEN: ${m}`);
  for (const s of stale) lines.push(`STALE ALLOWANCE: ${s}`);
  if (Object.keys(allowances).length) {
    lines.push('allowed one way (see test/model/guards.ts):');
    for (const [name, { missing: never, reason }] of Object.entries(allowances)) lines.push(`  ${name} never ${never}: ${reason}`);
  }
  return { missing, stale, both, required: required.length, table: lines.join('\n') };
}
