/**
 * The client's rarely used APIs (src/client/lazyApis.ts) are loaded with a dynamic import() on
 * their first call. When that chunk cannot load (an offline page, a deploy that removed it),
 * each call rejects with a `network` AiccError of its API instead of hanging, nothing is sent,
 * the machine's file worker reports it like any failed upload, and a later call loads it.
 * The failed load is simulated with vi.mock: in Node the module is always there.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActor, setup, waitFor, type AnyActorLogic, type AnyEventObject } from 'xstate';
import { createChatActors } from '../../src/actors/index.js';
import { createAiccClient } from '../../src/client/client.js';
import { AiccError } from '../../src/client/errors.js';
import type { LazyApiName } from '../../src/client/lazyApis.js';
import type { AiccClient } from '../../src/client/types.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, fastSimulator } from './helpers.js';

const chunk = vi.hoisted(() => ({ offline: true, loads: 0 }));
vi.mock('../../src/client/lazyApis.js', async (importOriginal) => {
  chunk.loads += 1;
  if (chunk.offline) throw new TypeError('Failed to fetch dynamically imported module: /assets/lazyApis-x.js');
  return importOriginal();
});

/** Each lazy API with an input it would accept. */
const CALLS: { [K in LazyApiName]: (client: AiccClient) => Promise<unknown> } = {
  tokenByAkSk: (c) => c.tokenByAkSk({ appKey: 'k', appSecret: 's' }),
  applyToken: (c) => c.applyToken({ userId: 'u', userName: 'U', channelId: 'ch', locale: 'en' }),
  doLeaveMessage: (c) => c.doLeaveMessage({ userId: 'u', caller: '123456', message: 'call me' }),
  downloadFileStream: (c) => c.downloadFileStream({ fileId: 'f', fileType: 'jpg', multiMedia: false }),
  uploadFileStream: (c) => c.uploadFileStream({ fileType: 'jpg', data: new Uint8Array([1]) }),
  queryPhraseByKeyword: (c) => c.queryPhraseByKeyword({ text: 'ver', locale: 'en' }),
  getSatisfactionSurveyMode: (c) => c.getSatisfactionSurveyMode({ language: 'en' }),
  saveSatisfaction: (c) => c.saveSatisfaction({ userId: 'u', channelConfigId: 'ch', evaluation: '5' }),
  feedbackSatisfaction: (c) => c.feedbackSatisfaction({ satisfied: true, from: 'u', interIdx: '1' }),
};

let sim: Simulator;
beforeAll(async () => {
  sim = await fastSimulator();
});
afterAll(async () => {
  await sim.close();
});

describe('the lazily loaded APIs when their chunk cannot load', () => {
  it('each rejects with a network AiccError of its API, and sends nothing', async () => {
    const client = createAiccClient({ baseUrl: sim.url, token: async () => 'token' });
    for (const [api, call] of Object.entries(CALLS)) {
      const error: unknown = await call(client).then(
        () => 'resolved',
        (rejection: unknown) => rejection,
      );
      expect(error, api).toBeInstanceOf(AiccError);
      expect(error, api).toMatchObject({ kind: 'network', api, message: expect.stringMatching(new RegExp(`^${api}: `)) });
    }
    expect(sim.requests).toEqual([]);
    // A failed load is not kept: every call tried again.
    expect(chunk.loads).toBe(Object.keys(CALLS).length);
  });

  it('the upload worker reports upload.failed with that error (the machine shows a failed message)', async () => {
    const client = createAiccClient({ baseUrl: sim.url, token: async () => 'token' });
    const events: AnyEventObject[] = [];
    const parent = setup({ actors: { worker: createChatActors(client).uploadFile as AnyActorLogic } }).createMachine({
      invoke: { id: 'worker', src: 'worker' },
      on: { '*': { actions: ({ event }) => void events.push(event) } },
    });
    const actor = createActor(parent).start();
    actor.getSnapshot().children.worker?.send({ type: 'upload.start', localId: 'out-1', fileType: 'jpg', data: new Uint8Array([1, 2]) });
    await waitFor(actor, () => events.some((e) => e.type === 'upload.failed'));
    expect(events.at(-1)).toMatchObject({ type: 'upload.failed', localId: 'out-1', error: { name: 'AiccError', kind: 'network', api: 'uploadFileStream' } });
    actor.stop();
  });

  it('a later call loads the chunk and works', async () => {
    chunk.offline = false;
    const { client, userId } = clientFor(sim);
    await expect(client.doLeaveMessage({ userId, caller: '123456', message: 'call me back' })).resolves.toMatchObject({ resultCode: '0' });
    expect(sim.requestsFor('doLeaveMessage', userId)).toHaveLength(1);
  });
});
