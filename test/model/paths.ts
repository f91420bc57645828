/**
 * Path generation with xstate/graph:
 * 1. `getAdjacencyMap` explores the model (the shipped machine + world) breadth first, with the
 *    events of `eventsFor` and `vertexKey` as the state identity;
 * 2. graph.ts indexes it and explores the product (model state, last transitions taken), which
 *    tells which transition pairs every edge makes; the pairs found are the feasible universe;
 * 3. greedy covering walks: a path starts at the start state and keeps taking the edge that covers
 *    the most targets not covered yet (transitions, state nodes, variants, transition pairs); when
 *    no edge out of where it is covers anything new, it walks the shortest way to the nearest edge
 *    that does, unless a new path from the start gets there sooner (or the path is long enough);
 * 4. each path is replayed step by step from the initial state, so every step's payload and
 *    expectation comes from that path's own history (the graph merges states that differ only in
 *    fields no guard reads, like end reasons or message texts), and must take exactly the edges
 *    the graph search saw.
 */
import { getAdjacencyMap, type StatePath } from 'xstate/graph';
import { EXCLUSIONS, STATE_NODES, TRANSITIONS } from './coverage.js';
import { buildGraph, edgeCover, microstepsOf, type Adjacency, type ModelGraph } from './graph.js';
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
  /** Product states (model state, last transitions) explored for the pairs. */
  productStates: number;
  graph: ModelGraph;
  /** What the picked paths cover according to the model. */
  planned: { transitions: Set<string>; nodes: Set<string>; variants: Set<string>; pairs: Set<string> };
  /** Targets no path reaches (a variant missing from the catalog, usually). */
  unreachable: string[];
  millis: number;
}

const traversal = {
  events: eventsFor,
  serializeState: (s: ModelSnapshot) => vertexKey(s),
  serializeEvent: (e: ModelEvent) => e.variant,
  limit: 500_000,
};

/** A path no longer than this (steps) keeps a failing path readable and one test short. */
const MAX_PATH_STEPS = 40;
/** A new path costs a simulator and a session start: worth about this many steps. */
const NEW_PATH_COST = 4;

/** Replays a variant trail from the initial state: consistent payloads and expectations. */
export function replay(variants: readonly string[]): StatePath<ModelSnapshot, ModelEvent> {
  let state = INITIAL_SNAPSHOT;
  const steps: { state: ModelSnapshot; event: ModelEvent }[] = [{ state, event: { type: 'xstate.init', variant: 'xstate.init' } }];
  for (const name of variants) {
    const event = eventsFor(state).find((e) => e.variant === name);
    if (!event) {
      throw new Error(`replay: "${name}" is not offered in ${stateLabel(state)} after [${variants.slice(0, steps.length - 1).join(' → ')}]`);
    }
    state = modelTransition(state, event);
    steps.push({ state, event });
  }
  return { state, steps, weight: variants.length };
}

/** The machine's actions read the wall clock (outgoing timestamps); the model must not. */
const MODEL_NOW = 1_700_000_000_000;

export function onFrozenClock<T>(run: () => T): T {
  const realNow = Date.now;
  let tick = 0;
  Date.now = () => MODEL_NOW + tick++;
  try {
    return run();
  } finally {
    Date.now = realNow;
  }
}

/** Explores the model with xstate/graph and indexes it (graph.ts). */
export function modelGraph(): ModelGraph {
  return onFrozenClock(() => buildGraph(getAdjacencyMap(chatSessionModel, traversal) as unknown as Adjacency, vertexKey(INITIAL_SNAPSHOT)));
}

export function planPaths(): Plan {
  const started = Date.now();
  const plan = onFrozenClock(() => planOnFrozenClock(modelGraph()));
  return { ...plan, millis: Date.now() - started };
}

/**
 * Greedy covering walks over the product graph. Targets are numbered; `gain[p][i]` counts the
 * targets not yet covered by edge i of product state p, kept up to date through `holders`.
 */
class CoverWalker {
  readonly covered = new Set<string>();
  private readonly targetIds = new Map<string, number>();
  private readonly covers: number[][][];
  private readonly gain: number[][];
  private readonly holders: [number, number][][] = [];
  private readonly done: boolean[] = [];

  constructor(
    private readonly graph: ModelGraph,
    targets: Iterable<string>,
  ) {
    for (const t of targets) this.targetIds.set(t, this.targetIds.size);
    for (let t = 0; t < this.targetIds.size; t += 1) this.holders.push([]);
    const { product, edges } = graph;
    this.covers = product.vertex.map((v, p) =>
      edges[v]!.map((e, i) => {
        const ids = edgeCover(product.last[p]!, e).flatMap((target) => {
          const id = this.targetIds.get(target);
          return id === undefined ? [] : [id];
        });
        for (const id of ids) this.holders[id]!.push([p, i]);
        return ids;
      }),
    );
    this.gain = this.covers.map((out) => out.map((ids) => ids.length));
  }

  /** Targets some edge covers (the rest are unreachable). */
  reachable(): Set<string> {
    return new Set([...this.targetIds].filter(([, id]) => this.holders[id]!.length > 0).map(([t]) => t));
  }

  private take(p: number, i: number): void {
    for (const id of this.covers[p]![i]!) {
      if (this.done[id]) continue;
      this.done[id] = true;
      for (const [q, j] of this.holders[id]!) this.gain[q]![j]! -= 1;
    }
  }

  private bestEdge(p: number): number {
    let best = -1;
    this.gain[p]!.forEach((g, i) => {
      if (g > 0 && (best < 0 || g > this.gain[p]![best]!)) best = i;
    });
    return best;
  }

  /** Breadth first from p: the shortest route (edges) to and over the nearest edge with a gain. */
  private nearest(from: number): [number, number][] | null {
    const { product } = this.graph;
    const parent = new Map<number, [number, number]>([[from, [-1, -1]]]);
    const queue = [from];
    for (let k = 0; k < queue.length; k += 1) {
      const p = queue[k]!;
      const i = this.bestEdge(p);
      if (i >= 0) {
        const route: [number, number][] = [[p, i]];
        for (let q = p; q !== from; ) {
          const [r, j] = parent.get(q)!;
          route.unshift([r, j]);
          q = r;
        }
        return route;
      }
      product.next[p]!.forEach((q, j) => {
        if (parent.has(q)) return;
        parent.set(q, [p, j]);
        queue.push(q);
      });
    }
    return null;
  }

  /** The next path: edge indices in product states, from the start. */
  walk(): [number, number][] {
    const { product } = this.graph;
    const steps: [number, number][] = [];
    let at = 0;
    for (;;) {
      const i = this.bestEdge(at);
      let route: [number, number][] | null = i >= 0 ? [[at, i]] : this.nearest(at);
      if (!route) break;
      if (i < 0 && steps.length > 0) {
        const fresh = this.nearest(0);
        if (fresh && fresh.length + NEW_PATH_COST < route.length) break;
      }
      if (steps.length > 0 && steps.length + route.length > MAX_PATH_STEPS) break;
      for (const [p, j] of route) {
        this.take(p, j);
        steps.push([p, j]);
        at = product.next[p]![j]!;
      }
    }
    return steps;
  }
}

function planOnFrozenClock(graph: ModelGraph): Omit<Plan, 'millis'> {
  const targets = [
    ...TRANSITIONS.filter((t) => !(t.id in EXCLUSIONS)).map((t) => `t:${t.id}`),
    ...STATE_NODES.map((n) => `n:${n}`),
    ...new Set(graph.edges.flat().map((e) => `v:${e.variant}`)),
    ...[...graph.feasible].map((p) => `p:${p}`),
  ];
  const walker = new CoverWalker(graph, targets);
  const reachable = walker.reachable();
  const trails: string[][] = [];
  for (;;) {
    const steps = walker.walk();
    if (steps.length === 0) break;
    trails.push(steps.map(([p, i]) => graph.edges[graph.product.vertex[p]!]![i]!.variant));
  }

  const planned = { transitions: new Set<string>(), nodes: new Set<string>(), variants: new Set<string>(), pairs: new Set<string>() };
  const paths = trails.map((variants, n): ModelPath => {
    const statePath = replay(variants);
    // The replayed path must take exactly the edges the graph search saw; otherwise vertexKey
    // merged states that a guard tells apart.
    let last: string[] = [];
    statePath.steps.forEach((step, k) => {
      if (k === 0) return;
      const from = graph.index.get(vertexKey(statePath.steps[k - 1]!.state));
      const edge = from === undefined ? undefined : graph.edges[from]!.find((e) => e.variant === step.event.variant);
      if (!edge || graph.keys[edge.to] !== vertexKey(step.state) || JSON.stringify(edge.groups) !== JSON.stringify(microstepsOf(step.state))) {
        throw new Error(`model: step ${k} (${step.event.variant}) of [${variants.join(' → ')}] differs from the graph: vertexKey() misses an input of a guard`);
      }
      for (const target of edgeCover(last, edge)) {
        const id = target.slice(2);
        if (target.startsWith('t:')) planned.transitions.add(id);
        else if (target.startsWith('n:')) planned.nodes.add(id);
        else if (target.startsWith('v:')) planned.variants.add(id);
        else planned.pairs.add(id);
      }
      last = edge.groups.at(-1) ?? last;
    });
    const trail = variants.map((v) => variantOf(v).name).join(' → ');
    return { name: `#${String(n + 1).padStart(3, '0')} ${trail} ⇒ ${stateLabel(statePath.state)}`, variants, statePath };
  });

  return {
    paths,
    vertices: graph.keys.length,
    edges: graph.edges.reduce((n, out) => n + out.length, 0),
    productStates: graph.product.vertex.length,
    graph,
    planned,
    unreachable: targets.filter((t) => !reachable.has(t) && !t.startsWith('p:')).map((t) => t.replace(/^[tnvp]:/, '')),
  };
}
