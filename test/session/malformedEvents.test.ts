/**
 * Issue #11 item 9: whatever a host passes to `session.send`, the session keeps running (never
 * status `error`), says why it refused the value (`context.error`, a typed ChatInputError) and
 * can still be ended normally: chat.end → DISCONNECT on the wire → `disconnected` with a typed
 * end reason. Real session (createChatSession, real actors, real client) against the simulator.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import type { ChatSessionOutput } from '../../src/index.js';
import { fastSimulator } from '../client/helpers.js';
import { startSession, type SessionRig } from '../integration/harness.js';

// robot-only: CONNECT lands in `connected.chatting`; agent-direct: it waits in `connected.queuing`
// (position 2; this simulator's queue only moves when told to).
let robot: Simulator;
let queue: Simulator;
beforeAll(async () => {
  [robot, queue] = await Promise.all([fastSimulator({ scenario: 'robot-only' }), fastSimulator({ scenario: 'agent-direct' })]);
});
afterAll(() => Promise.all([robot.close(), queue.close()]));

const simulatorOf = new WeakMap<SessionRig, Simulator>();

/** The controlTypes the session sent, as the simulator recorded them. */
function uplinks(rig: SessionRig): string[] {
  return simulatorOf.get(rig)!.requestsFor('send', rig.userId).map((r) => (r.body as { controlType: string }).controlType);
}

/** A live session in `connected.chatting` (robot) or `connected.queuing` (agent queue). */
async function liveSession(where: 'chatting' | 'queuing'): Promise<SessionRig> {
  const sim = where === 'chatting' ? robot : queue;
  const rig = startSession(sim);
  simulatorOf.set(rig, sim);
  await rig.untilState(`connected.${where}`);
  return rig;
}

/** chat.end (and skipping a survey if one is offered) → the typed output; DISCONNECT went out. */
async function endNormally(rig: SessionRig): Promise<ChatSessionOutput> {
  rig.actor.send({ type: 'chat.end' });
  const ended = await rig.until((s) => s.status !== 'active' || s.matches({ connected: 'survey-agent' }) || s.matches({ connected: 'survey-robot' }));
  if (ended.status === 'active') rig.actor.send({ type: 'survey.skip' });
  const done = await rig.until((s) => s.status !== 'active');
  expect(done.status).toBe('done');
  const output = done.output as ChatSessionOutput;
  expect(output.endReason).toBe('customer-ended');
  expect(uplinks(rig)).toContain('DISCONNECT');
  return output;
}

const NOT_EVENTS: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['a string', 'chat.end'],
  ['a number', 42],
  ['an empty object', {}],
  ['a numeric type', { type: 123 }],
  ['an array', [{ type: 'chat.end' }]],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { type: 7n })],
];

describe('send(value that is not an event)', () => {
  for (const [name, value] of NOT_EVENTS) {
    it(`refuses ${name} with a typed error and keeps the session alive`, async () => {
      const rig = await liveSession('chatting');
      expect(() => rig.actor.send(value as never)).not.toThrow();
      const refused = await rig.until((s) => s.status !== 'active' || s.context.error !== null);
      expect(refused.status).toBe('active');
      expect(refused.context.error).toMatchObject({ name: 'ChatInputError', code: 'invalid-event' });
      expect(refused.matches({ connected: 'chatting' })).toBe(true);
      // Still a working session: a message goes out, and it ends with DISCONNECT.
      rig.actor.send({ type: 'message.send', text: 'still here' });
      await rig.until((s) => s.context.error === null && uplinks(rig).includes('CHAT'));
      await endNormally(rig);
    });
  }
});

describe('send(a forged internal event)', () => {
  const FORGED: [string, unknown][] = [
    ['poll.messages with [null]', { type: 'poll.messages', messages: [null] }],
    ['poll.messages with garbage', { type: 'poll.messages', messages: [1, 'x', {}, { controlType: 'READ' }, { key: 5, controlType: 'CHAT' }] }],
    ['poll.messages without messages', { type: 'poll.messages' }],
    ['queue.updated with info null', { type: 'queue.updated', info: null }],
    ['poll.error with nothing', { type: 'poll.error' }],
    ['poll.failed', { type: 'poll.failed', error: null }],
    ['upload.done without a localId', { type: 'upload.done' }],
    ['upload.progress with garbage counts', { type: 'upload.progress', localId: 'out-1', loaded: 'all', total: -1 }],
    ['download.done with a bad key', { type: 'download.done', key: null, bytes: 'x' }],
    ['download.failed with a bad key', { type: 'download.failed', key: {}, error: 5 }],
    ['xstate.stop', { type: 'xstate.stop' }],
    ['xstate.error.actor.pollLoop', { type: 'xstate.error.actor.pollLoop', error: null }],
  ];
  for (const where of ['chatting', 'queuing'] as const) {
    for (const [name, event] of FORGED) {
      it(`${where}: refuses ${name}; no error status, the session still ends normally`, async () => {
        const rig = await liveSession(where);
        expect(() => rig.actor.send(event as never)).not.toThrow();
        const after = await rig.until((s) => s.status !== 'active' || s.context.error !== null);
        expect(after.status).toBe('active');
        expect(after.context.error).toMatchObject({ name: 'ChatInputError', code: 'invalid-event', event: (event as { type: string }).type });
        expect(after.matches({ connected: where })).toBe(true);
        await endNormally(rig);
      });
    }
  }
});

describe('a Node host without error handlers', () => {
  it('does not exit with code 1 after send(null)', async () => {
    const script = fileURLToPath(new URL('./fixtures/sendNull.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [afterNull, final] = stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(afterNull).toMatchObject({ status: 'active', error: { name: 'ChatInputError', code: 'invalid-event' } });
    expect(final).toMatchObject({ status: 'done', endReason: 'customer-ended' });
  });
});
