/**
 * The machine as data: the config survives JSON, names every implementation, has the state keys
 * the design card fixes, and every state is reachable.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateNode } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import * as contextMappers from '../../machines/chatSession.context.js';
import * as inputMappers from '../../machines/chatSession.inputs.js';
import { END_REASONS } from '../../machines/chatSession.types.js';
import { WORKER_STARTING } from '../../machines/chatSession.updates.js';

type Json = Record<string, unknown>;

function walkStates(config: Json, path: string[], visit: (node: Json, path: string[]) => void): void {
  visit(config, path);
  const states = config.states as Record<string, Json> | undefined;
  for (const [key, child] of Object.entries(states ?? {})) walkStates(child, [...path, key], visit);
}

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child as AnyStateNode))];
}

describe('machine config as data', () => {
  it('JSON.stringify(config) is lossless for structure: same ids, transitions, actions, guards, invokes', () => {
    const revived = createMachine(JSON.parse(JSON.stringify(chatSessionMachine.config)));
    expect(JSON.stringify(revived.definition)).toBe(JSON.stringify(chatSessionMachine.definition));
    const ids = (m: typeof revived) => allNodes(m.root).map((n) => n.id).sort();
    expect(ids(revived)).toEqual(ids(chatSessionMachine as unknown as typeof revived));
    const edges = (m: typeof revived) =>
      allNodes(m.root)
        .flatMap((n) =>
          [...n.transitions.values(), n.always ?? []].flat().map((t) =>
            JSON.stringify([n.id, t.eventType, t.target?.map((s) => s.id) ?? null, t.guard, t.actions]),
          ),
        )
        .sort();
    expect(edges(revived)).toEqual(edges(chatSessionMachine as unknown as typeof revived));
  });

  it('has no inline implementations: the only functions are the named data mappers', () => {
    const functions: string[] = [];
    const mapperFns = new Set<unknown>([...Object.values(contextMappers), ...Object.values(inputMappers)]);
    const scan = (value: unknown, path: string): void => {
      if (typeof value === 'function') {
        functions.push(path);
        expect(mapperFns.has(value), `${path} is not a named mapper`).toBe(true);
      } else if (Array.isArray(value)) value.forEach((v, i) => scan(v, `${path}[${i}]`));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) scan(v, `${path}.${k}`);
    };
    scan(chatSessionMachine.config, 'config');
    expect(functions).toContain('config.context');
    expect(functions).toContain('config.output');
    expect(functions.length).toBeGreaterThan(10);
    expect(functions.every((p) => /^config\.(context|output)$|\.invoke(\[\d+\])?\.input$/.test(p))).toBe(true);
  });

  it('references only implemented actions, guards, actors and delays, and implements nothing unused', () => {
    const used = { actions: new Set<string>(), guards: new Set<string>(), actors: new Set<string>(), delays: new Set<string>() };
    const addActions = (value: unknown) => {
      for (const a of [value].flat()) {
        if (typeof a === 'string') used.actions.add(a);
        else if (a && typeof a === 'object' && typeof (a as Json).type === 'string') used.actions.add((a as Json).type as string);
      }
    };
    const addTransitions = (value: unknown) => {
      for (const t of [value].flat()) {
        if (!t || typeof t !== 'object') continue;
        const transition = t as Json;
        if (typeof transition.guard === 'string') used.guards.add(transition.guard);
        if (transition.actions) addActions(transition.actions);
      }
    };
    walkStates(chatSessionMachine.config as unknown as Json, [], (node) => {
      if (node.entry) addActions(node.entry);
      if (node.exit) addActions(node.exit);
      for (const t of Object.values((node.on as Json) ?? {})) addTransitions(t);
      if (node.always) addTransitions(node.always);
      for (const [delay, t] of Object.entries((node.after as Json) ?? {})) {
        if (Number.isNaN(Number(delay))) used.delays.add(delay);
        addTransitions(t);
      }
      for (const invoke of [node.invoke ?? []].flat() as Json[]) {
        used.actors.add(invoke.src as string);
        addTransitions(invoke.onDone);
        addTransitions(invoke.onError);
      }
    });
    // Guards an action asks by name with enqueueActions' check() (not visible in the config).
    used.guards.add('isPolling');
    // The file workers, which actions start by name with spawnChild while a transfer is pending.
    for (const worker of Object.keys(WORKER_STARTING)) used.actors.add(worker);
    const impl = chatSessionMachine.implementations;
    for (const kind of ['actions', 'guards', 'actors', 'delays'] as const) {
      expect([...used[kind]].sort(), kind).toEqual(Object.keys(impl[kind]).sort());
    }
  });

  it('has the design card state keys; disconnected is the only final state, at the root', () => {
    const keys = new Map<string, string>();
    walkStates(chatSessionMachine.config as unknown as Json, [], (node, path) => {
      if (path.length) keys.set(path[path.length - 1]!, path.join('.'));
    });
    for (const key of ['auth', 'history', 'connecting', 'leave-message', 'queuing', 'chatting', 'survey-agent', 'survey-robot', 'disconnected']) {
      expect(keys.has(key), key).toBe(true);
    }
    const finals = allNodes(chatSessionMachine.root).filter((n) => n.type === 'final').map((n) => n.id);
    expect(finals).toEqual(['chatSession.disconnected']);
    expect(chatSessionMachine.root.states.chatting).toBeUndefined();
    expect(chatSessionMachine.root.states.connected?.states.chatting?.type).toBe('parallel');
  });

  it('every state node is reachable', () => {
    const reached = new Set<AnyStateNode>();
    const enter = (node: AnyStateNode): void => {
      for (let n: AnyStateNode | undefined = node; n && !reached.has(n); n = n.parent) reached.add(n);
    };
    enter(chatSessionMachine.root);
    let grew = true;
    while (grew) {
      grew = false;
      const size = reached.size;
      for (const node of [...reached]) {
        if (node.type === 'compound') enter(node.states[node.config.initial as string] as AnyStateNode);
        if (node.type === 'parallel') Object.values(node.states).forEach((c) => enter(c as AnyStateNode));
        for (const t of [...node.transitions.values(), node.always ?? []].flat()) t.target?.forEach((target: AnyStateNode) => enter(target));
      }
      grew = reached.size > size;
    }
    const unreachable = allNodes(chatSessionMachine.root).filter((n) => !reached.has(n)).map((n) => n.id);
    expect(unreachable).toEqual([]);
  });

  it('documents every end reason', () => {
    expect([...END_REASONS].sort()).toEqual(
      ['after-hours', 'agent-ended', 'auth-failed', 'connect-failed', 'customer-ended', 'message-left', 'network-lost', 'session-released'],
    );
  });
});

describe('context shape', () => {
  it('stays small enough for V8 to copy it as a fast object (XState copies it on every assign)', () => {
    // Object.assign({}, context, update) — what XState's assign does — gives a slow dictionary
    // object from 20 properties on (docs/statechart.md, docs/performance.md). Asked of V8 itself.
    const contextModule = fileURLToPath(new URL('../../machines/chatSession.context.ts', import.meta.url));
    const script = `
      const { createInitialContext } = await import(${JSON.stringify(contextModule)});
      const context = createInitialContext({ input: { identity: { userId: 'u', userName: 'n', channelId: 'c', locale: 'en_US' } } });
      const copy = Object.assign({}, context, { error: null });
      const grown = Object.assign({}, copy, { a: 1, b: 2, c: 3 });
      console.log(JSON.stringify({ keys: Object.keys(context).length, fast: %HasFastProperties(copy), grownFast: %HasFastProperties(grown) }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { keys: number; fast: boolean; grownFast: boolean };
    expect(result.fast).toBe(true);
    // The check itself can tell: three more top-level fields would cross the line.
    expect(result.grownFast).toBe(false);
    expect(result.keys).toBeLessThanOrEqual(17);
  });

  it('indexes message keys as values, never as property names (a new name costs V8 a new hidden class)', () => {
    // Every message key is new; as a property name each one made V8 build a hidden class and
    // internalize the string: indexKey cost ~11 µs per message in a real session (docs/performance.md).
    const transcriptModule = fileURLToPath(new URL('../../machines/chatSession.transcript.ts', import.meta.url));
    const script = `
      const { TranscriptWriter, emptyTranscript } = await import(${JSON.stringify(transcriptModule)});
      const indexOf = (keys) => {
        const writer = new TranscriptWriter({ transcript: emptyTranscript(), transcriptIndex: {} });
        for (const key of keys) writer.append({ kind: 'gap', key, from: 0, at: 0, error: null });
        return writer.result().transcriptIndex;
      };
      const pages = (index) => Object.values(index).flat();
      const [a] = pages(indexOf(['3F2A9C']));
      const [b] = pages(indexOf(['out-1796664483729']));
      const many = pages(indexOf(Array.from({ length: 40 }, (_, i) => 'k' + i)));
      console.log(JSON.stringify({ same: %HaveSameMap(a, b), allSame: many.every((page) => %HaveSameMap(page, a)), fast: many.every((page) => %HasFastProperties(page)) }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { same: boolean; allSame: boolean; fast: boolean };
    expect(result).toEqual({ same: true, allSame: true, fast: true });
  });
});
