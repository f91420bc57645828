import { readdirSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { eventLabel, generateAll, loadMachine, outdatedFiles, projectRoot, readStatelyConfig } from '../scripts/stately.js';

/** Every state node id and every transition as "source --event[guard]--> targets". */
function shape(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
  const nodes = getStateNodes(machine.root) as AnyStateNode[];
  const transitions: string[] = [];
  for (const node of [machine.root, ...nodes]) {
    for (const [event, list] of node.transitions) {
      for (const t of list) {
        const guard = typeof t.guard === 'object' && t.guard && 'type' in t.guard ? String(t.guard.type) : String(t.guard ?? '');
        transitions.push(`${node.id} --${event}[${guard}]--> ${(t.target ?? []).map((n: AnyStateNode) => n.id).join(',')}`);
      }
    }
    for (const t of node.always ?? []) transitions.push(`${node.id} --always--> ${(t.target ?? []).map((n: AnyStateNode) => n.id).join(',')}`);
  }
  return { states: nodes.map((n) => n.id).sort(), transitions: transitions.sort() };
}

describe('stately.config.json exports', () => {
  it('the committed JSON exports and diagrams match the machines (run `npm run stately` if not)', async () => {
    expect(await outdatedFiles()).toEqual([]);
  });

  it('each JSON export rebuilds a machine with the same state nodes and transitions', async () => {
    const config = await readStatelyConfig();
    expect(config.machines.length).toBeGreaterThan(0);
    const generated = await generateAll();
    for (const entry of config.machines) {
      const machine = await loadMachine(entry);
      const json = generated.find((file) => file.path === entry.json)?.content ?? '';
      const rebuilt = createMachine(JSON.parse(json));
      const original = shape(machine);
      expect(original.transitions.length).toBeGreaterThan(20);
      expect(shape(rebuilt)).toEqual(original);
    }
  });

  it('the chat machine keeps the nine named states of the design card', async () => {
    const [entry] = (await readStatelyConfig()).machines;
    const machine = await loadMachine(entry!);
    const keys = new Set((getStateNodes(machine.root) as AnyStateNode[]).map((n) => n.key));
    for (const key of ['auth', 'history', 'connecting', 'leave-message', 'queuing', 'chatting', 'survey-agent', 'survey-robot', 'disconnected']) {
      expect(keys, key).toContain(key);
    }
  });

  it('labels internal events readably in the diagram', () => {
    expect(eventLabel('xstate.done.actor.connect')).toBe('done: connect');
    expect(eventLabel('xstate.error.actor.poll')).toBe('error: poll');
    expect(eventLabel('xstate.after.connectRetryDelay.chatSession.connect-retry')).toBe('after connectRetryDelay');
    expect(eventLabel('message.send')).toBe('message.send');
  });
});

/** The properties the Stately CLI accepts in statelyai.json (its schema has additionalProperties: false). */
const STATELYAI_JSON_PROPERTIES = ['$schema', 'version', 'projectId', 'studioUrl', 'defaultXStateVersion', 'include', 'exclude', 'newMachinesDir'];

describe('statelyai.json (the Stately CLI finds the machine)', () => {
  const file = JSON.parse(readFileSync(join(projectRoot, 'statelyai.json'), 'utf8')) as Record<string, unknown>;
  const globs = (key: string): string[] => (file[key] as string[] | undefined) ?? [];

  it('is a local-only project file of the CLI schema', () => {
    expect(Object.keys(file).filter((key) => !STATELYAI_JSON_PROPERTIES.includes(key))).toEqual([]);
    expect(file['version']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(file['defaultXStateVersion']).toBe(5);
    expect(file['projectId']).toBeUndefined(); // no Studio project: `statelyai scan` / `open` need no login
    expect(globs('include').length).toBeGreaterThan(0);
  });

  it('includes exactly the machine modules stately.config.json lists (the CLI discovers an xstate import plus createMachine)', async () => {
    const isMachineModule = (path: string): boolean => {
      const text = readFileSync(join(projectRoot, path), 'utf8');
      return /from 'xstate'/.test(text) && /createMachine\(/.test(text);
    };
    const included = ['src', 'machines']
      .flatMap((dir) => readdirSync(join(projectRoot, dir), { recursive: true, encoding: 'utf8' }).map((path) => `${dir}/${path}`))
      .filter((path) => globs('include').some((glob) => matchesGlob(path, glob)) && !globs('exclude').some((glob) => matchesGlob(path, glob)));
    const config = await readStatelyConfig();
    expect(included.filter(isMachineModule).sort()).toEqual(config.machines.map((entry) => entry.source).sort());
  });
});
