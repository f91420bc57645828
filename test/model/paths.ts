/**
 * Path generation with xstate/graph:
 * 1. `getAdjacencyMap` explores the model (the shipped machine + world) breadth first, with the
 *    events of `eventsFor` and `vertexKey` as the state identity;
 * 2. `getShortestPaths` gives the shortest path to every model state;
 * 3. every edge (state, event variant) becomes a candidate path: shortest path to its source +
 *    the edge. Each candidate covers the machine transitions taken, the state nodes entered and
 *    the variant names along it;
 * 4. a greedy set cover picks candidates until every reachable transition, state node and
 *    variant is covered (all shortest paths would be thousands; most share their prefixes);
 * 5. each picked path is replayed step by step from the initial state, so every step's payload
 *    and expectation comes from that path's own history (the graph merges states that differ
 *    only in fields no guard reads, like end reasons or message texts).
 */
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph';
import { EXCLUSIONS, STATE_NODES, TRANSITIONS } from './coverage.js';
import { INITIAL_SNAPSHOT, chatSessionModel, eventsFor, modelTransition, stateLabel, variantOf, vertexKey } from './model.js';
import type { ModelEvent, ModelSnapshot } from './types.js';

export interface ModelPath {
  /** Readable: the event-variant trail and the state it ends in. */
  name: string;
  variants: string[];
  /** In xstate/graph's step format: steps[0] is xstate.init, step.state is the state AFTER step.event. */
  statePath: StatePath<ModelSnapshot, ModelEvent>;
}

export interface Plan {
  paths: ModelPath[];
  vertices: number;
  edges: number;
  /** What the picked paths cover according to the model. */
  planned: { transitions: Set<string>; nodes: Set<string>; variants: Set<string> };
  /** Targets no candidate reaches (a variant missing from the catalog, usually). */
  unreachable: string[];
  millis: number;
}

type Adjacency = Record<string, { state: ModelSnapshot; transitions: Record<string, { event: ModelEvent; state: ModelSnapshot }> }>;

const traversal = {
  events: eventsFor,
  serializeState: (s: ModelSnapshot) => vertexKey(s),
  serializeEvent: (e: ModelEvent) => e.variant,
  limit: 500_000,
};

function edgeCover(next: ModelSnapshot): string[] {
  return [...next.taken.map((t) => `t:${t}`), ...next.visited.map((n) => `n:${n}`), `v:${next.variant}`];
}

/** Replays a variant trail from the initial state: consistent payloads and expectations. */
export function replay(variants: readonly string[]): StatePath<ModelSnapshot, ModelEvent> {
  let state = INITIAL_SNAPSHOT;
  const steps: { state: ModelSnapshot; event: ModelEvent }[] = [{ state, event: { type: 'xstate.init', variant: 'xstate.init' } }];
  for (const name of variants) {
    const event = eventsFor(state).find((e) => e.variant === name);
    if (!event) throw new Error(`replay: "${name}" is not offered in ${stateLabel(state)} (after ${steps.length - 1} steps)`);
    state = modelTransition(state, event);
    steps.push({ state, event });
  }
  return { state, steps, weight: variants.length };
}

/** The machine's actions read the wall clock (outgoing timestamps); the model must not. */
const MODEL_NOW = 1_700_000_000_000;

function onFrozenClock<T>(run: () => T): T {
  const realNow = Date.now;
  let tick = 0;
  Date.now = () => MODEL_NOW + tick++;
  try {
    return run();
  } finally {
    Date.now = realNow;
  }
}

export function planPaths(): Plan {
  const started = Date.now();
  const plan = onFrozenClock(() => planOnFrozenClock());
  return { ...plan, millis: Date.now() - started };
}

function planOnFrozenClock(): Plan {
  const adjacency = getAdjacencyMap(chatSessionModel, traversal) as unknown as Adjacency;
  const shortest = getShortestPaths(chatSessionModel, traversal);

  // Shortest trail and cover of every model state.
  const trails = new Map<string, { variants: string[]; cover: Set<string> }>();
  const sorted = [...shortest].sort((a, b) => a.steps.length - b.steps.length);
  for (const path of sorted) {
    const keys = path.steps.map((s) => vertexKey(s.state));
    const variants = path.steps.slice(1).map((s) => s.event.variant);
    const target = keys[keys.length - 1]!;
    if (variants.length === 0) {
      trails.set(target, { variants, cover: new Set() });
      continue;
    }
    const parent = trails.get(keys[keys.length - 2]!);
    const edge = adjacency[keys[keys.length - 2]!]?.transitions[variants[variants.length - 1]!];
    if (!parent || !edge) {
      throw new Error(`model: two traversals of the model disagree (at ${target}): something the model reads is not deterministic`);
    }
    trails.set(target, { variants, cover: new Set([...parent.cover, ...edgeCover(edge.state)]) });
  }

  // Candidates: shortest trail to a state + one more edge.
  interface Candidate {
    variants: string[];
    cover: Set<string>;
  }
  const bestFor = new Map<string, Candidate>();
  let edges = 0;
  for (const [key, { transitions }] of Object.entries(adjacency)) {
    const trail = trails.get(key);
    if (!trail) continue;
    for (const [variant, { state }] of Object.entries(transitions)) {
      edges += 1;
      const candidate = { variants: [...trail.variants, variant], cover: new Set([...trail.cover, ...edgeCover(state)]) };
      for (const target of candidate.cover) {
        const best = bestFor.get(target);
        if (!best || candidate.variants.length < best.variants.length) bestFor.set(target, candidate);
      }
    }
  }

  const targets = [
    ...TRANSITIONS.filter((t) => !(t.id in EXCLUSIONS)).map((t) => `t:${t.id}`),
    ...STATE_NODES.map((n) => `n:${n}`),
    ...[...bestFor.keys()].filter((k) => k.startsWith('v:')),
  ];
  const unreachable = targets.filter((t) => !bestFor.has(t));
  const uncovered = new Set(targets.filter((t) => bestFor.has(t)));
  const candidates = [...new Set(bestFor.values())];
  const picked: Candidate[] = [];
  while (uncovered.size > 0) {
    let best: Candidate | undefined;
    let bestGain = 0;
    for (const c of candidates) {
      let gain = 0;
      for (const t of c.cover) if (uncovered.has(t)) gain += 1;
      if (gain > bestGain || (gain === bestGain && gain > 0 && best && c.variants.length < best.variants.length)) {
        best = c;
        bestGain = gain;
      }
    }
    if (!best) break;
    picked.push(best);
    for (const t of best.cover) uncovered.delete(t);
  }

  // Drop trails that are a prefix of another picked trail.
  const unique = picked.filter(
    (p, i) => !picked.some((q, j) => j !== i && q.variants.length > p.variants.length && p.variants.every((v, k) => q.variants[k] === v)),
  );

  const planned = { transitions: new Set<string>(), nodes: new Set<string>(), variants: new Set<string>() };
  const paths = unique.map((p, i): ModelPath => {
    const statePath = replay(p.variants);
    // The replayed path must take exactly the edges the graph search saw; otherwise vertexKey
    // merged states that a guard tells apart.
    statePath.steps.forEach((step, k) => {
      if (k === 0) return;
      const from = vertexKey(statePath.steps[k - 1]!.state);
      const edge = adjacency[from]?.transitions[step.event.variant];
      if (!edge || edge.state.taken.join() !== step.state.taken.join() || vertexKey(edge.state) !== vertexKey(step.state)) {
        throw new Error(`model: step ${k} (${step.event.variant}) of [${p.variants.join(' → ')}] differs from the graph: vertexKey() misses an input of a guard`);
      }
    });
    statePath.steps.forEach((step, k) => {
      if (k === 0) return;
      step.state.taken.forEach((t) => planned.transitions.add(t));
      step.state.visited.forEach((n) => planned.nodes.add(n));
      planned.variants.add(step.state.variant);
    });
    const trail = p.variants.map((v) => variantOf(v).name).join(' → ');
    return { name: `#${String(i + 1).padStart(2, '0')} ${trail} ⇒ ${stateLabel(statePath.state)}`, variants: p.variants, statePath };
  });

  return {
    paths,
    vertices: Object.keys(adjacency).length,
    edges,
    planned,
    unreachable: unreachable.map((t) => t.replace(/^[tnv]:/, '')),
    millis: 0,
  };
}
