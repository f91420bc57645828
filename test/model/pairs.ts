/**
 * Transition-pair (2-switch) coverage (issue 14): a pair is a transition `t` followed by a
 * transition `u` that leaves the configuration `t` left the machine in, i.e. `u` is taken in the
 * microstep right after the one that took `t` (the next event's first microstep, or an eventless
 * or raised follow-up in the same macrostep). Microsteps that take no transition (an ignored
 * event) are transparent. Several transitions in one microstep (parallel regions) each pair with
 * each transition of the next one.
 *
 * - **Feasible** pairs are found by search: the model graph (`graph.ts`) knows, for every model
 *   state, which transitions can have been the last ones taken on the way there (`lastBefore`), so
 *   every edge out of it makes pairs `(last, first transition of the edge)`.
 * - The **syntactic** universe is read from the statechart alone: `u`'s source state node can be
 *   active right after `t` (it is an ancestor, a default-entered descendant or an orthogonal
 *   neighbour of `t`'s target; anything compatible with the source for a targetless `t`).
 * - Syntactic pairs the search never meets are **infeasible**, each with the reason the search
 *   gives (INFEASIBLE_KINDS: never taken; `t` never ends a macrostep; `u`'s source never active
 *   after `t`; its event never offered there; the event always taking another branch there).
 */
import type { AnyStateNode } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { EXCLUSIONS, TRANSITIONS, describeTransition, pct } from './coverage.js';
import type { ModelGraph } from './graph.js';

const SEP = ' >> ';

export function pairId(first: string, second: string): string {
  return `${first}${SEP}${second}`;
}

export function splitPair(id: string): [string, string] {
  const [first = '', second = ''] = id.split(SEP);
  return [first, second];
}

export function describePair(id: string): string {
  const [first, second] = splitPair(id);
  return `${describeTransition(first)}  ⇒  ${describeTransition(second)}`;
}

/**
 * The pairs a sequence of microsteps makes, given the transitions of the microstep before it
 * (`before`, empty at the start of a session): each group pairs with the group after it.
 */
export function pairsOf(before: readonly string[], microsteps: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  let previous = before;
  for (const group of microsteps) {
    if (group.length === 0) continue;
    for (const a of previous) for (const b of group) out.push(pairId(a, b));
    previous = group;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The syntactic universe, from the statechart alone

const nodeById = new Map<string, AnyStateNode>();
(function index(node: AnyStateNode): void {
  nodeById.set(node.id, node);
  for (const child of Object.values(node.states)) index(child as AnyStateNode);
})(chatSessionMachine.root);

function ancestors(node: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node; n; n = n.parent) out.push(n);
  return out;
}

/** Can `a` and `b` be active together? (one contains the other, or they meet in a parallel node) */
function compatible(a: AnyStateNode, b: AnyStateNode): boolean {
  const above = new Set(ancestors(a));
  const meet = ancestors(b).find((n) => above.has(n));
  return meet === a || meet === b || meet?.type === 'parallel';
}

/** What entering `node` activates by default: its initial descendants (every region of a parallel one). */
function defaultEntered(node: AnyStateNode): AnyStateNode[] {
  if (node.type === 'parallel') return [node, ...Object.values(node.states).flatMap((c) => defaultEntered(c as AnyStateNode))];
  const initial = node.type === 'compound' ? (node.initial?.target?.[0] as AnyStateNode | undefined) : undefined;
  return initial ? [node, ...defaultEntered(initial)] : [node];
}

/** State nodes that can be active right after `t`: where a transition following it can start. */
function activeAfter(transitionId: string): Set<string> {
  const t = TRANSITIONS.find((x) => x.id === transitionId)!;
  const targets = t.targets.map((id) => nodeById.get(id)!);
  const out = new Set<string>();
  if (targets.length === 0) {
    const source = nodeById.get(t.source)!;
    for (const n of nodeById.values()) if (compatible(n, source)) out.add(n.id);
    return out;
  }
  for (const target of targets) {
    const entered = defaultEntered(target);
    for (const n of entered) out.add(n.id);
    for (const n of ancestors(target)) out.add(n.id);
    // Orthogonal neighbours: other regions of a parallel ancestor keep (or take) any state.
    for (const n of nodeById.values()) {
      const above = new Set(ancestors(target));
      const meet = ancestors(n).find((m) => above.has(m));
      if (meet?.type === 'parallel' && meet !== n && meet !== target) out.add(n.id);
    }
  }
  return out;
}

/** Every (t, u) where u's source can be active right after t; excluded transitions included. */
export const SYNTACTIC_PAIRS: readonly string[] = TRANSITIONS.flatMap((t) => {
  const after = activeAfter(t.id);
  return TRANSITIONS.filter((u) => after.has(u.source)).map((u) => pairId(t.id, u.id));
});

// ---------------------------------------------------------------------------------------------
// Infeasible pairs: why the search never meets them

export interface Infeasible {
  /** One of INFEASIBLE_KINDS. */
  kind: string;
  /** What the search saw. */
  detail: string;
}

export const INFEASIBLE_KINDS = {
  excluded: 'a transition of the pair is excluded (coverage.ts)',
  neverTaken: 'a transition of the pair is never taken by the model',
  neverLast: 'the first is always followed at once, in its macrostep, by an eventless or raised transition',
  sourceInactive: "the second's source state is never active right after the first",
  notOffered: "the second's event is never offered right after the first",
  otherBranch: "the second's event always takes another transition right after the first",
  guardFalse: "the second's eventless guard never holds right after the first",
} as const;

/** Why the search never met each syntactic pair it did not find. */
export function infeasibleReasons(graph: ModelGraph, feasible: ReadonlySet<string>): Map<string, Infeasible> {
  const takenAnywhere = new Set<string>();
  for (const edges of graph.edges) for (const e of edges) for (const g of e.groups) for (const id of g) takenAnywhere.add(id);
  // The model states right after each transition (where it is among the last ones taken).
  const statesAfter = new Map<string, number[]>();
  graph.lastBefore.forEach((lasts, v) => {
    for (const a of lasts) (statesAfter.get(a) ?? statesAfter.set(a, []).get(a)!).push(v);
  });
  const reasons = new Map<string, Infeasible>();
  for (const id of SYNTACTIC_PAIRS) {
    if (feasible.has(id)) continue;
    const [a, b] = splitPair(id);
    const never = [a, b].find((x) => !takenAnywhere.has(x));
    if (never !== undefined) {
      reasons.set(id, never in EXCLUSIONS ? { kind: INFEASIBLE_KINDS.excluded, detail: describeTransition(never) } : { kind: INFEASIBLE_KINDS.neverTaken, detail: describeTransition(never) });
      continue;
    }
    const after = statesAfter.get(a) ?? [];
    if (after.length === 0) {
      reasons.set(id, { kind: INFEASIBLE_KINDS.neverLast, detail: 'it ends no macrostep of the model' });
      continue;
    }
    const u = TRANSITIONS.find((x) => x.id === b)!;
    const active = after.filter((v) => graph.activeNodes[v]!.has(u.source));
    if (active.length === 0) {
      reasons.set(id, { kind: INFEASIBLE_KINDS.sourceInactive, detail: `${after.length} model states right after the first` });
      continue;
    }
    const eventType = u.eventType === 'always' ? null : u.eventType;
    const offered = active.flatMap((v) => graph.edges[v]!.filter((e) => (eventType === null ? true : e.eventType === eventType)));
    if (eventType !== null && offered.length === 0) {
      reasons.set(id, { kind: INFEASIBLE_KINDS.notOffered, detail: `${active.length} model states: ${explainOffers(graph, active)}` });
      continue;
    }
    if (eventType === null) {
      reasons.set(id, { kind: INFEASIBLE_KINDS.guardFalse, detail: `${active.length} model states` });
      continue;
    }
    const instead = [...new Set(offered.map((e) => (e.groups[0] ?? []).map(describeTransition).join(' + ') || 'no transition'))];
    reasons.set(id, { kind: INFEASIBLE_KINDS.otherBranch, detail: `takes ${instead.slice(0, 2).join(' | ')}${instead.length > 2 ? ` (+${instead.length - 2} more)` : ''}` });
  }
  return reasons;
}

/** Why the model offers little in these states (what runs first: a request in flight, a timer). */
function explainOffers(graph: ModelGraph, states: readonly number[]): string {
  const kinds = new Set<string>();
  for (const v of states) {
    const s = graph.states[v]!;
    if (s.world.inflight.length > 0) kinds.add('a request in flight');
    else if (s.world.spontaneous.length > 0) kinds.add('the system acts first');
    else if (Object.keys(s.world.timers).length > 0) kinds.add('a timer runs');
    else if (s.machine && (!s.machine.context.connection.online || !s.machine.context.connection.pageVisible)) kinds.add('offline or hidden');
    else kinds.add('idle');
  }
  return [...kinds].join(', ');
}

// ---------------------------------------------------------------------------------------------
// The report

export interface PairReport {
  covered: number;
  feasible: number;
  missing: string[];
  table: string;
}

/** Covered / feasible, the infeasible pairs grouped by reason (every pair with VERBOSE_PAIRS=1). */
export function pairReport(
  real: ReadonlySet<string>,
  feasible: ReadonlySet<string>,
  planned: ReadonlySet<string>,
  infeasible: ReadonlyMap<string, Infeasible>,
  threshold: number,
  verbose = process.env.VERBOSE_PAIRS === '1',
): PairReport {
  const missing = [...feasible].filter((p) => !real.has(p));
  const covered = feasible.size - missing.length;
  const extra = [...real].filter((p) => !feasible.has(p));
  const lines: string[] = [''];
  lines.push('Transition-pair (2-switch) coverage of chatSessionMachine (pairs the REAL actor took, via inspect)');
  lines.push('─'.repeat(100));
  lines.push(
    `pairs: ${covered}/${feasible.size} feasible (${pct(covered, feasible.size)}; threshold ${(100 * threshold).toFixed(0)}%)   [planned by the model: ${
      [...feasible].filter((p) => planned.has(p)).length
    }/${feasible.size}]`,
  );
  lines.push(`syntactic pairs: ${SYNTACTIC_PAIRS.length} (u's source can be active right after t); infeasible: ${infeasible.size}, found by the graph search:`);
  const byKind = new Map<string, string[]>();
  for (const [id, { kind }] of infeasible) (byKind.get(kind) ?? byKind.set(kind, []).get(kind)!).push(id);
  for (const [kind, ids] of [...byKind].sort((x, y) => y[1].length - x[1].length)) {
    lines.push(`  ${String(ids.length).padStart(5)}  ${kind}`);
    lines.push(`         e.g. ${describePair(ids[0]!)} (${infeasible.get(ids[0]!)!.detail})`);
  }
  // Background steps (a queue update) between planned ones make pairs the model never plans.
  if (extra.length) lines.push(`taken by the real actor but not found by the search (background steps): ${extra.length}`);
  for (const id of extra.slice(0, 10)) lines.push(`  ${describePair(id)}`);
  for (const id of missing.slice(0, verbose ? missing.length : 20)) lines.push(`NOT TAKEN: ${describePair(id)}`);
  if (!verbose && missing.length > 20) lines.push(`... and ${missing.length - 20} more pairs not taken (VERBOSE_PAIRS=1 lists them all)`);
  if (verbose) for (const [id, { kind, detail }] of infeasible) lines.push(`INFEASIBLE: ${describePair(id)}: ${kind} (${detail})`);
  else lines.push('every infeasible pair with its reason: VERBOSE_PAIRS=1 npm run test:model');
  return { covered, feasible: feasible.size, missing, table: lines.join('\n') };
}
