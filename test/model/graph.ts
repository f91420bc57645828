/**
 * The model graph that path planning and pair coverage work on: xstate/graph's adjacency map of
 * the model (`getAdjacencyMap`, see paths.ts), indexed. Each edge keeps the machine transitions
 * it takes, one list per microstep, and what it covers on its own (transitions, state nodes, its
 * variant, the pairs inside it).
 *
 * Pairs across edges need one more fact than the model state: which transitions the machine took
 * last on the way there. So the graph is also explored as a product, (model state, last
 * microstep's transitions), breadth first from the start: an edge that takes no transition keeps
 * the last ones. An edge out of a product state covers the pairs (each last transition, each
 * transition of the edge's first microstep). `lastBefore[v]` is what this exploration found for
 * model state v: every transition that ends some path from the start to it.
 */
import { TRANSITIONS } from './coverage.js';
import { pairsOf } from './pairs.js';
import type { ModelEvent, ModelSnapshot } from './types.js';
import { vertexKey } from './model.js';

export type Adjacency = Record<string, { state: ModelSnapshot; transitions: Record<string, { event: ModelEvent; state: ModelSnapshot }> }>;

export interface GraphEdge {
  variant: string;
  eventType: string;
  to: number;
  /** The machine transitions taken, one list per microstep that took any. */
  groups: string[][];
  /** `t:<transition>`, `n:<state node>`, `v:<variant>` and `p:<pair>` for the pairs inside the edge. */
  cover: string[];
}

/** The product (model state, last transitions) of the breadth-first exploration. */
export interface ProductGraph {
  /** Model state of each product state. */
  vertex: number[];
  /** The transitions of the last microstep that took any (empty before the first). */
  last: string[][];
  /** Per product state, per edge of its model state: the product state it leads to. */
  next: number[][];
  /** Breadth-first parent (product state, edge index); [-1, -1] for the start (product state 0). */
  parent: [number, number][];
}

export interface ModelGraph {
  keys: string[];
  index: Map<string, number>;
  states: ModelSnapshot[];
  /** The state node ids active in each model state. */
  activeNodes: Set<string>[];
  edges: GraphEdge[][];
  start: number;
  product: ProductGraph;
  /** Per model state: the transitions that end some path from the start to it. */
  lastBefore: Set<string>[];
  /** Every pair some path of the graph takes: the feasible universe. */
  feasible: Set<string>;
}

const COUNTED: ReadonlySet<string> = new Set(TRANSITIONS.map((t) => t.id));

/** The machine transitions of microsteps (the coverage universe's only), dropping those that took none. */
export function countedGroups(microsteps: readonly (readonly string[])[]): string[][] {
  return microsteps.map((g) => g.filter((id) => COUNTED.has(id))).filter((g) => g.length > 0);
}

/** The machine transitions a model step took, one list per microstep that took any. */
export function microstepsOf(state: ModelSnapshot): string[][] {
  return countedGroups(state.microsteps);
}

/** The pair targets (`p:` ids) an edge covers after the transitions `last`, its own included. */
export function edgeCover(last: readonly string[], edge: GraphEdge): string[] {
  const first = edge.groups[0];
  if (!first || last.length === 0) return edge.cover;
  return [...edge.cover, ...pairsOf(last, [first]).map((p) => `p:${p}`)];
}

export function buildGraph(adjacency: Adjacency, startKey: string): ModelGraph {
  const keys = Object.keys(adjacency);
  const index = new Map(keys.map((k, i) => [k, i]));
  const states = keys.map((k) => adjacency[k]!.state);
  const activeNodes = states.map((s) => new Set<string>(s.machine ? s.machine._nodes.map((n) => n.id) : []));
  const edges = keys.map((k) =>
    Object.entries(adjacency[k]!.transitions).map(([variant, { event, state }]): GraphEdge => {
      const to = index.get(vertexKey(state));
      if (to === undefined) throw new Error(`model graph: the edge ${variant} from ${k} leads to a state the adjacency map does not hold`);
      const groups = microstepsOf(state);
      const cover = [
        ...state.taken.filter((id) => COUNTED.has(id)).map((id) => `t:${id}`),
        ...state.visited.map((n) => `n:${n}`),
        `v:${variant}`,
        ...pairsOf([], groups).map((p) => `p:${p}`),
      ];
      return { variant, eventType: event.type, to, groups, cover: [...new Set(cover)] };
    }),
  );
  const start = index.get(startKey);
  if (start === undefined) throw new Error('model graph: no start state');

  const product: ProductGraph = { vertex: [start], last: [[]], next: [], parent: [[-1, -1]] };
  const productIndex = new Map<string, number>([[`${start}|`, 0]]);
  for (let p = 0; p < product.vertex.length; p += 1) {
    const v = product.vertex[p]!;
    product.next[p] = edges[v]!.map((e, i) => {
      const last = e.groups.at(-1) ?? product.last[p]!;
      const key = `${e.to}|${last.join(',')}`;
      let q = productIndex.get(key);
      if (q === undefined) {
        q = product.vertex.length;
        productIndex.set(key, q);
        product.vertex.push(e.to);
        product.last.push(last);
        product.parent.push([p, i]);
      }
      return q;
    });
  }

  const lastBefore = keys.map(() => new Set<string>());
  product.vertex.forEach((v, p) => product.last[p]!.forEach((a) => lastBefore[v]!.add(a)));
  const feasible = new Set<string>();
  product.vertex.forEach((v, p) => {
    for (const e of edges[v]!) for (const target of edgeCover(product.last[p]!, e)) if (target.startsWith('p:')) feasible.add(target.slice(2));
  });
  return { keys, index, states, activeNodes, edges, start, product, lastBefore, feasible };
}
