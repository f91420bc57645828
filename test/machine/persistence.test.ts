/**
 * Persistence: the snapshot survives JSON, restores to the same state and context, resumes
 * polling, and never holds secrets or bytes. Plus the storage helpers and createChatSession.
 */
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, waitFor, type Snapshot } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { entryAt, entryAtPosition } from '../../machines/chatSession.transcript.js';
import { prepareRestoredSnapshot } from '../../src/session/restore.js';
import type { ChatSessionContext, OutgoingEntry } from '../../machines/chatSession.types.js';
import {
  createChatSession,
  createMemorySessionStorage,
  createWebSessionStorage,
  persistSession,
} from '../../src/session/index.js';
import type { AiccClient, ResultInfo } from '../../src/client/types.js';
import { agentImage, agentText, fakeActors, identity, input, ok, readNotice, robotText, settle, startSession } from './helpers.js';

function outgoingAt(actor: { getSnapshot(): { context: ChatSessionContext } }, position: number): OutgoingEntry | undefined {
  const entry = entryAtPosition(actor.getSnapshot().context.transcript, position);
  return entry?.kind === 'outgoing' ? entry : undefined;
}

function restore(snapshot: Snapshot<unknown>, fakes = fakeActors()) {
  const actor = createActor(chatSessionMachine.provide({ actors: fakes.actors }), { input, snapshot, clock: new SimulatedClock() });
  actor.start();
  return { actor, fakes };
}

/** Walks a JSON-like value and reports anything that is not plain JSON. */
function nonJson(value: unknown, path = '$'): string[] {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonJson(v, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value as object).flatMap(([k, v]) => nonJson(v, `${path}.${k}`));
  }
  return [`${path}: ${Object.prototype.toString.call(value)}`];
}

async function busySession() {
  const fakes = fakeActors();
  fakes.connect.answer = () => ok('connect to robot successfully.');
  // keep the second message on the wire
  fakes.sendMessage.answer = (i) => (i.content === 'hang' ? new Promise(() => {}) : { ...ok(), localId: i.localId });
  const { actor } = startSession({ fakes });
  await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
  fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', 'Welcome', '2'), agentImage('img1')] });
  actor.send({ type: 'message.send', text: 'first' });
  await waitFor(actor, (s) => s.context.outbox.length === 0);
  actor.send({ type: 'message.send', text: 'hang' });
  actor.send({ type: 'input.change', text: 'draft text' });
  await settle();
  return { actor, fakes };
}

describe('persisted snapshot', () => {
  it('is plain JSON and round-trips to the same state and context', async () => {
    const { actor } = await busySession();
    const persisted = actor.getPersistedSnapshot();
    expect(nonJson(JSON.parse(JSON.stringify(persisted)))).toEqual([]);
    expect(nonJson(actor.getSnapshot().context)).toEqual([]);
    const revived = JSON.parse(JSON.stringify(persisted)) as Snapshot<unknown>;
    const { actor: restored } = restore(revived);
    expect(restored.getSnapshot().value).toEqual(actor.getSnapshot().value);
    expect(restored.getSnapshot().context).toEqual(actor.getSnapshot().context);
    actor.stop();
    restored.stop();
  });

  it('restores the invoked actors: the poll loop runs again, the send in flight fails as unknown, the restored worker sends', async () => {
    const { actor, fakes: before } = await busySession();
    const json = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    expect(before.pollLoop.running).toBe(0);
    expect(before.sendMessage.aborted).toBe(1); // the old page's CHAT was cut off with its worker
    const { actor: restored, fakes } = restore(prepareRestoredSnapshot(JSON.parse(json)));
    expect(fakes.pollLoop.running).toBe(1);
    const hang = restored.getSnapshot().context.transcript.length - 1;
    expect(outgoingAt(restored, hang)).toMatchObject({ text: 'hang', status: 'failed', error: { outcomeUnknown: true } });
    expect(restored.getSnapshot().matches({ connected: { chatting: { outbox: 'idle' } } })).toBe(true);
    expect(fakes.sendMessage.calls).toEqual([]); // not sent again blindly
    restored.send({ type: 'message.send', text: 'after the reload' });
    await waitFor(restored, (s) => s.context.outbox.length === 0);
    expect(fakes.sendMessage.calls.map((c) => c.content)).toEqual(['after the reload']);
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a9')] });
    expect(entryAt(restored.getSnapshot().context, 'a9')).toBeDefined();
    restored.stop();
  });

  it('a snapshot of a version with a promise actor per CHAT gets its sendMessage worker', async () => {
    const { actor } = await busySession();
    const saved = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { value: unknown; children: Record<string, unknown> };
    actor.stop();
    // In flight: that version's child was the promise actor, its input the CHAT.
    const inFlight = { ...saved, children: { ...saved.children, sendMessage: { snapshot: { status: 'active', input: { localId: 'x', content: 'hang' } }, src: 'sendMessage', syncSnapshot: false } } };
    // Nothing in flight: that version had no child at all.
    const idle = { ...saved, value: { connected: { chatting: { outbox: 'idle', transfer: 'idle', suggestions: 'idle', typing: 'idle', receipts: 'idle' } } }, children: { pollLoop: saved.children['pollLoop'] } };
    for (const old of [inFlight, idle]) {
      const { actor: restored, fakes } = restore(prepareRestoredSnapshot(old as unknown as Snapshot<unknown>));
      restored.send({ type: 'message.send', text: 'after the upgrade' });
      await waitFor(restored, (s) => s.context.outbox.length === 0);
      expect(fakes.sendMessage.calls.map((c) => c.content)).toEqual(['after the upgrade']);
      restored.stop();
    }
  });

  it('a snapshot whose index pages map keys as properties (before pages held key arrays) is still read', async () => {
    const { actor } = await busySession();
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { context: ChatSessionContext };
    actor.stop();
    // That version's index: shard → pages of { key: position }.
    const oldIndex: Record<string, Record<string, number>[]> = {};
    for (const [shard, pages] of Object.entries(persisted.context.transcriptIndex)) {
      oldIndex[shard] = pages.map((page) => Object.fromEntries(page.keys.map((key, i) => [key, page.positions[i]!])));
    }
    const old = { ...persisted, context: { ...persisted.context, transcriptIndex: oldIndex } };
    // Through prepareRestoredSnapshot (createChatSession, a tab taking the lead), and as a tab
    // following a leader of that version reads it, or a host restoring with plain createActor.
    for (const snapshot of [prepareRestoredSnapshot(old as unknown as Snapshot<unknown>), old as unknown as Snapshot<unknown>]) {
      expect(entryAt((snapshot as unknown as { context: ChatSessionContext }).context, 'img1')).toMatchObject({ kind: 'incoming' });
      const { actor: restored, fakes } = restore(snapshot);
      const length = restored.getSnapshot().context.transcript.length;
      // A known message again (a replayed batch) is still recognised, a new one appended once.
      fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentImage('img1'), agentText('a-new')] });
      const context = restored.getSnapshot().context;
      expect(context.transcript.length).toBe(length + 1);
      expect(entryAt(context, 'img1')).toMatchObject({ kind: 'incoming' });
      expect(entryAt(context, 'a-new')).toMatchObject({ kind: 'incoming' });
      restored.stop();
    }
  });

  it('restores a snapshot whose outgoing entries still carry wireTimestamp (written before it was removed)', async () => {
    const { actor } = await busySession();
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { context: { transcript: { chunks: Record<string, unknown>[][] } } };
    actor.stop();
    const old = persisted.context.transcript.chunks.flat().filter((e) => e['kind'] === 'outgoing');
    expect(old).toHaveLength(2);
    for (const entry of old) entry['wireTimestamp'] = String(entry['timestamp']);
    const { actor: restored, fakes } = restore(prepareRestoredSnapshot(persisted as unknown as Snapshot<unknown>));
    await waitFor(restored, (s) => s.context.outbox.length === 0);
    const first = old[0] as { key: string; timestamp: number };
    // READ names the message by its wire timestamp, as before.
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [readNotice('read-1', [String(first.timestamp)])] });
    expect(entryAt(restored.getSnapshot().context, first.key)).toMatchObject({ kind: 'outgoing', text: 'first', status: 'sent', read: true });
    restored.stop();
  });

  it('holds no token, credential or client', async () => {
    const { actor } = await busySession();
    const json = JSON.stringify(actor.getPersistedSnapshot());
    for (const secret of ['token', 'secret', 'Authorization', 'Bearer', 'x-app-key', 'http']) {
      expect(json.toLowerCase()).not.toContain(`"${secret.toLowerCase()}`);
    }
    expect(Object.keys(actor.getSnapshot().context.identity).sort()).toEqual(['channelId', 'locale', 'nickname', 'userId', 'userName']);
    actor.stop();
  });

  it('fails an upload whose bytes were lost in a reload, visibly', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    actor.send({ type: 'file.send', data: new Uint8Array([7, 7, 7]), fileType: 'png' });
    const [localId] = actor.getSnapshot().context.outbox;
    const json = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    expect(json).not.toMatch(/"0":7/);
    const { actor: restored, fakes: after } = restore(JSON.parse(json));
    const entry = entryAt(restored.getSnapshot().context, localId) as OutgoingEntry;
    expect(entry).toMatchObject({ status: 'failed', error: { api: 'uploadFileStream', field: 'data' } });
    expect(restored.getSnapshot().context.outbox).toEqual([]);
    // The restored worker reported the loss; with nothing left to upload it is gone.
    expect(after.uploadFile).toMatchObject({ starts: 1, running: 0 });
    expect(restored.getSnapshot().children.uploadFile).toBeUndefined();
    restored.stop();
  });

  it('prepareRestoredSnapshot: a worker saved before its hello was handled still reports the loss', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    actor.send({ type: 'file.send', data: new Uint8Array([7]), fileType: 'png' });
    const [localId] = actor.getSnapshot().context.outbox;
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { context: { bookkeeping: Record<string, unknown> } };
    actor.stop();
    // As saved between file.send and the worker's upload.ready.
    persisted.context.bookkeeping['uploadWorkerStarting'] = true;
    const { actor: restored } = restore(prepareRestoredSnapshot(persisted as unknown as Snapshot<unknown>));
    expect(entryAt(restored.getSnapshot().context, localId)).toMatchObject({ status: 'failed', error: { api: 'uploadFileStream', field: 'data' } });
    expect(restored.getSnapshot().context.bookkeeping).not.toHaveProperty('uploadWorkerStarting');
    expect(restored.getSnapshot().children.uploadFile).toBeUndefined();
    restored.stop();
  });

  it('restarts a download that was in flight', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentImage('img1')] });
    actor.send({ type: 'file.download', key: 'img1' });
    const json = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    const { fakes: after, actor: restored } = restore(JSON.parse(json));
    expect(after.downloadFile.received).toEqual([{ type: 'download.start', key: 'img1', file: expect.objectContaining({ fileId: 'media-1' }) }]);
    expect(Object.keys(restored.getSnapshot().children).sort()).toEqual(['downloadFile', 'pollLoop', 'sendMessage']);
    after.downloadFile.emit({ type: 'download.done', key: 'img1', bytes: new Uint8Array([1]), fileType: 'jpg', fileUrl: null });
    expect(restored.getSnapshot().children.downloadFile).toBeUndefined();
    expect(after.downloadFile.running).toBe(0);
    restored.stop();
  });

  it('a snapshot saved while both workers ran for the whole session restores without them', async () => {
    const { actor } = startSession();
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as { children: Record<string, unknown> };
    actor.stop();
    // What 0.1.0 saved: the file workers were invoked by `connected` itself.
    const worker = (src: string) => ({ snapshot: { status: 'active', input: {} }, src, syncSnapshot: false });
    persisted.children = { ...persisted.children, uploadFile: worker('uploadFile'), downloadFile: worker('downloadFile') };
    const { actor: restored, fakes } = restore(persisted as unknown as Snapshot<unknown>);
    expect(fakes.uploadFile.starts + fakes.downloadFile.starts).toBe(2);
    expect(fakes.uploadFile.running + fakes.downloadFile.running).toBe(0);
    expect(Object.keys(restored.getSnapshot().children).sort()).toEqual(['pollLoop', 'watchQueue']);
    restored.stop();
  });
});

describe('storage helpers', () => {
  it('memory storage round-trips through JSON', () => {
    const storage = createMemorySessionStorage();
    expect(storage.load()).toBeUndefined();
    const snapshot = { status: 'active', value: 'auth' } as unknown as Snapshot<unknown>;
    storage.save(snapshot);
    expect(storage.load()).toEqual(snapshot);
    expect(storage.load()).not.toBe(snapshot);
    storage.clear();
    expect(storage.load()).toBeUndefined();
  });

  it('web storage tolerates garbage and quota errors', () => {
    const map = new Map<string, string>();
    const errors: unknown[] = [];
    const webStore = {
      getItem: (k: string) => map.get(k) ?? null,
      setItem: (k: string, v: string) => {
        if (v.length > 1000) throw new Error('QuotaExceededError');
        map.set(k, v);
      },
      removeItem: (k: string) => void map.delete(k),
    };
    const storage = createWebSessionStorage(webStore, 'chat', { onError: (e) => errors.push(e) });
    storage.save({ status: 'active', value: 'auth' } as unknown as Snapshot<unknown>);
    expect(JSON.parse(map.get('chat')!)).toMatchObject({ status: 'active' });
    map.set('chat', '{not json');
    expect(storage.load()).toBeUndefined();
    map.set('chat', '"a string"');
    expect(storage.load()).toBeUndefined();
    expect(map.has('chat')).toBe(false);
    storage.save({ status: 'active', big: 'x'.repeat(2000) } as unknown as Snapshot<unknown>);
    expect(errors).toHaveLength(2);
  });

  it('persistSession saves while running, keeps the save on stop, clears when done', async () => {
    const storage = createMemorySessionStorage();
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    const unsubscribe = persistSession(actor, storage);
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    expect(storage.load()).toMatchObject({ value: { connected: 'queuing' } });
    actor.stop();
    expect(storage.load()).toMatchObject({ value: { connected: 'queuing' } });
    unsubscribe();

    const { actor: resumed } = restore(storage.load()!);
    persistSession(resumed, storage);
    resumed.send({ type: 'chat.end' });
    await waitFor(resumed, (s) => s.status === 'done');
    expect(storage.load()).toBeUndefined();
  });
});

describe('createChatSession', () => {
  function fakeClient() {
    const sent: string[] = [];
    let resolvePoll: (() => void) | undefined;
    const client = {
      authenticate: async () => undefined,
      send: async (i: { controlType: string }): Promise<ResultInfo> => {
        sent.push(i.controlType);
        return ok(i.controlType === 'CONNECT' ? 'connect to robot successfully.' : 'ok');
      },
      poll: (_: unknown, o?: { signal?: AbortSignal }) =>
        new Promise<never[]>((resolve) => {
          resolvePoll = () => resolve([]);
          o?.signal?.addEventListener('abort', () => resolve([]));
        }),
      getSatisfactionSurveyMode: async () => ({ surveyType: 'NO' as const }),
    } as unknown as AiccClient;
    return { client, sent, release: () => resolvePoll?.() };
  }

  it('builds a typed actor from a client, identity and timing', async () => {
    const { client, sent } = fakeClient();
    const actor = createChatSession({ client, identity, timing: { pollMinIntervalMs: 0 }, connectVia: 'send' });
    expect(actor.getSnapshot().context.config.timing.queueIntervalMs).toBe(3000);
    actor.start();
    await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
    actor.send({ type: 'chat.end' });
    const final = await waitFor(actor, (s) => s.status === 'done');
    expect(sent).toEqual(['CONNECT', 'DISCONNECT']);
    expect(final.output?.endReason).toBe('customer-ended');
  });

  it('resumes from storage with actor overrides', async () => {
    const storage = createMemorySessionStorage();
    const { client } = fakeClient();
    const first = createChatSession({ client, identity });
    persistSession(first, storage);
    first.start();
    await waitFor(first, (s) => s.matches({ connected: 'chatting' }));
    first.stop();

    const fakes = fakeActors();
    const second = createChatSession({ client, identity, snapshot: storage.load(), actors: { pollLoop: fakes.actors.pollLoop } });
    second.start();
    expect(second.getSnapshot().matches({ connected: 'chatting' })).toBe(true);
    expect(fakes.pollLoop.running).toBe(1);
    second.stop();
  });

  it('builds its own client from clientOptions', () => {
    const actor = createChatSession({ clientOptions: { baseUrl: 'http://127.0.0.1:1', token: () => 't' }, identity });
    expect(actor.getSnapshot().value).toBe('auth');
    expect(() => createChatSession({ clientOptions: { baseUrl: 'nope' }, identity })).toThrow();
  });
});

describe('timers after a restore', () => {
  it('XState drops pending delays on restore; session.resumed moves connect-retry on', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => {
      throw new Error('ECONNRESET');
    };
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches('connect-retry'));
    const json = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();

    const stuck = restore(JSON.parse(json));
    await settle();
    expect(stuck.actor.getSnapshot().value).toBe('connect-retry'); // the backoff timer is gone
    stuck.actor.send({ type: 'session.resumed' });
    await waitFor(stuck.actor, (s) => s.matches({ connected: 'queuing' }));
    stuck.actor.stop();
  });

  it('createChatSession sends session.resumed itself; typing is not stuck in its throttle', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.watchQueue.emit({ type: 'queue.served' });
    actor.send({ type: 'input.change', text: 'typing' });
    expect(actor.getSnapshot().matches({ connected: { chatting: { typing: 'throttled' } } })).toBe(true);
    const snapshot = actor.getPersistedSnapshot();
    actor.stop();

    const after = fakeActors();
    const resumed = createChatSession({ client: {} as AiccClient, identity, snapshot, actors: after.actors });
    resumed.start();
    expect(resumed.getSnapshot().matches({ connected: { chatting: { typing: 'idle' } } })).toBe(true);
    await settle();
    expect(after.sendTyping.calls).toHaveLength(1); // the notice that was in flight is re-sent on restore
    resumed.send({ type: 'input.change', text: 'more' });
    await settle();
    expect(after.sendTyping.calls).toHaveLength(2); // and the throttle is open again
    resumed.stop();
  });
});
