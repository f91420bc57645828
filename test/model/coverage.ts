/**
 * The coverage universe, read from the shipped machine itself: every state node and every
 * transition (source state node, event type, index among that node's transitions for the event,
 * including invoke done/error, delayed `after` and eventless `always`). Nothing here is
 * hand-written except the exclusions, which must name transitions that exist.
 */
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';

export interface TransitionInfo {
  /** `source|eventType|index` ("always" for eventless transitions). */
  id: string;
  source: string;
  eventType: string;
  index: number;
  targets: string[];
  guard: string | null;
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child as AnyStateNode))];
}

function shortId(id: string): string {
  return id === 'chatSession' ? '(root)' : id.replace(/^chatSession\./, '');
}

/** The id of a transition definition, for the model machine and the real (provided) one alike. */
export function transitionId(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  if (t.eventType === '') return `${source.id}|always|${(source.always ?? []).indexOf(t)}`;
  const list = source.transitions.get(t.eventType) ?? [];
  return `${source.id}|${t.eventType}|${list.indexOf(t)}`;
}

function guardName(t: AnyTransitionDefinition): string | null {
  const guard = t.guard as unknown;
  if (guard === undefined) return null;
  if (typeof guard === 'string') return guard;
  if (guard && typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'inline';
}

export const STATE_NODES: readonly string[] = allNodes(chatSessionMachine.root).map((n) => n.id);

export const TRANSITIONS: readonly TransitionInfo[] = allNodes(chatSessionMachine.root).flatMap((node) => {
  const info = (t: AnyTransitionDefinition): TransitionInfo => {
    const [, eventType = '', index = '0'] = transitionId(t).split('|');
    return {
      id: transitionId(t),
      source: node.id,
      eventType,
      index: Number(index),
      targets: (t.target ?? []).map((n: AnyStateNode) => n.id),
      guard: guardName(t),
    };
  };
  return [...[...node.transitions.values()].flat().map(info), ...(node.always ?? []).map(info)];
});

/**
 * Transitions the shipped actors can never take, with the reason. Everything else must be
 * covered by the real run. A stale entry (a transition that no longer exists) fails the suite.
 */
export const EXCLUSIONS: Readonly<Record<string, string>> = {
  'chatSession.connected|xstate.error.actor.pollLoop|0':
    'pollLoop (src/actors/pollLoop.ts) is a fromCallback whose loop catches every error and reports it as poll.error / poll.failed; the callback never throws, so the invoke cannot error',
  'chatSession.connected|xstate.error.actor.uploadFile|0':
    'the uploadFile worker (src/actors/files.ts) catches every failure and reports upload.failed; it never throws',
  'chatSession.connected|xstate.error.actor.downloadFile|0':
    'the downloadFile worker (src/actors/files.ts) catches every failure and reports download.failed; it never throws',
  'chatSession.connected.chatting|xstate.error.actor.sendMessage|0':
    'the sendMessage worker (src/actors/uplink.ts) answers every failure of a CHAT with message.sendFailed; it never throws',
  'chatSession.connected.queuing|xstate.error.actor.watchQueue|0':
    'watchQueue (src/actors/watchQueue.ts) swallows queryQueueInfo errors by design ("the poll loop decides about the network"); it never throws',
};

export function describeTransition(id: string): string {
  const t = TRANSITIONS.find((x) => x.id === id);
  if (!t) return id;
  const event = t.eventType === 'always' ? 'always' : t.eventType.replace(/^xstate\./, '');
  const target = t.targets.length ? t.targets.map(shortId).join(',') : '(self)';
  return `${shortId(t.source)} --${event}[${t.index}]${t.guard ? ` if ${t.guard}` : ''}--> ${target}`;
}

export interface CoverageReport {
  stateNodes: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[]; excluded: number };
  table: string;
}

/** `covered` of `total` as a percentage with one decimal (100% of nothing). */
export function pct(covered: number, total: number): string {
  return total === 0 ? '100.0%' : `${((100 * covered) / total).toFixed(1)}%`;
}

/** Coverage of what the real actor did, and the table printed at the end of the run. */
export function coverageReport(
  realNodes: ReadonlySet<string>,
  realTransitions: ReadonlySet<string>,
  planned: { nodes: ReadonlySet<string>; transitions: ReadonlySet<string>; paths: number; steps: number },
  extraLines: string[] = [],
): CoverageReport {
  const measured = TRANSITIONS.filter((t) => !(t.id in EXCLUSIONS));
  const missingNodes = STATE_NODES.filter((id) => !realNodes.has(id));
  const missingTransitions = measured.filter((t) => !realTransitions.has(t.id)).map((t) => t.id);
  const coveredNodes = STATE_NODES.length - missingNodes.length;
  const coveredTransitions = measured.length - missingTransitions.length;

  const lines: string[] = [];
  lines.push('');
  lines.push('Model-based test coverage of chatSessionMachine (counted from what the REAL actor took, via inspect)');
  lines.push('─'.repeat(100));
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(`${pad('state node', 44)}${pad('visited', 9)}transitions covered`);
  for (const id of STATE_NODES) {
    const own = measured.filter((t) => t.source === id);
    const ownCovered = own.filter((t) => realTransitions.has(t.id)).length;
    const excluded = TRANSITIONS.filter((t) => t.source === id && t.id in EXCLUSIONS).length;
    lines.push(
      `${pad(shortId(id), 44)}${pad(realNodes.has(id) ? 'yes' : 'NO', 9)}${own.length ? `${ownCovered}/${own.length}` : '-'}${
        excluded ? ` (+${excluded} excluded)` : ''
      }`,
    );
  }
  lines.push('─'.repeat(100));
  lines.push(`state nodes:  ${coveredNodes}/${STATE_NODES.length} (${pct(coveredNodes, STATE_NODES.length)})   [planned by the model: ${planned.nodes.size}/${STATE_NODES.length}]`);
  lines.push(
    `transitions:  ${coveredTransitions}/${measured.length} (${pct(coveredTransitions, measured.length)}), ${
      Object.keys(EXCLUSIONS).length
    } excluded of ${TRANSITIONS.length}   [planned by the model: ${
      measured.filter((t) => planned.transitions.has(t.id)).length
    }/${measured.length}]`,
  );
  lines.push(`paths: ${planned.paths}, steps: ${planned.steps}`);
  for (const line of extraLines) lines.push(line);
  if (missingNodes.length) lines.push(`NOT VISITED: ${missingNodes.map(shortId).join(', ')}`);
  for (const id of missingTransitions) lines.push(`NOT TAKEN: ${describeTransition(id)}`);
  lines.push('excluded (see test/model/coverage.ts):');
  for (const [id, reason] of Object.entries(EXCLUSIONS)) lines.push(`  ${describeTransition(id)}: ${reason}`);
  return {
    stateNodes: { covered: coveredNodes, total: STATE_NODES.length, missing: missingNodes },
    transitions: { covered: coveredTransitions, total: measured.length, missing: missingTransitions, excluded: Object.keys(EXCLUSIONS).length },
    table: lines.join('\n'),
  };
}
