/**
 * Files bound to their customer (issue 17.4). Every file id the gateway hands a customer (poll
 * and history answers, upload answers) carries a tag bound to that customer; downloads and file
 * messages accept only ids tagged for the caller. Someone else's file answers exactly like a file
 * that does not exist, and the gateway keeps no per-user state for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS, DownloadResultCode, ResultDesc, type ChatDownlink, type DownlinkMessage, type FileRef } from '../../src/client/index.js';
import { GATEWAY_REASONS } from '../../src/gateway/index.js';
import { BASE_PATH, browserFor, jsonHeaders, raw, startRig, tokenFor, type Browser, type RawAnswer, type Rig } from './helpers.js';

const P = (api: keyof typeof API_PATHS): string => BASE_PATH + API_PATHS[api];
const isChat = (m: DownlinkMessage): m is ChatDownlink => m.controlType === 'CHAT';

async function pollFile(b: Browser): Promise<FileRef> {
  for (let i = 0; i < 20; i++) {
    for (const m of await b.client.poll({ userId: b.userId })) {
      if (isChat(m) && 'file' in m.content) return m.content.file;
    }
  }
  throw new Error('no file message');
}

/** What a browser can compare between two answers: status, headers but the date, body. */
function visible(a: RawAnswer): unknown {
  const { date: _, ...headers } = a.headers;
  return { status: a.status, headers, body: a.body };
}

describe('files bound to their customer (issue 17.4)', () => {
  let rig: Rig;
  let alice: Browser;
  let bob: Browser;
  let bobToken: string;
  const bytes = new Uint8Array(1500).map((_, i) => (i * 13) % 256);

  beforeAll(async () => {
    rig = await startRig({}, { scenario: 'agent-direct' });
    alice = browserFor(rig);
    bob = browserFor(rig);
    for (const b of [alice, bob]) {
      await b.client.send({ controlType: 'CONNECT', from: b.userId, to: rig.sim.channelId });
      rig.sim.queue.serve(b.userId);
    }
    bobToken = await tokenFor(rig, bob.cookie);
  });
  afterAll(() => rig.close());

  /** The objectKey upstream answered to the latest upload (seen by the tap, never by a browser). */
  function lastRawObjectKey(): string {
    const body = rig.tap.records.filter((r) => r.url.endsWith('/uploadFileStream')).at(-1)?.responseBody ?? '';
    const key = /"objectKey":"([^"]+)"/.exec(body)?.[1];
    if (!key) throw new Error('no upload answer upstream');
    return key;
  }

  /** Bob asks for a file as a raw request; returns the answer and checks upstream was not asked. */
  async function bobDownloads(fileId: string, multiMedia: boolean): Promise<RawAnswer> {
    const before = rig.sim.requestsFor('downloadFileStream').length;
    const body = { fileId, channel: 'WEB', fileType: 'png', ...(multiMedia ? { multiMedia: 'multiMedia' } : {}) };
    const answer = await raw(rig, { path: P('downloadFileStream'), headers: jsonHeaders(bob.cookie, bobToken), body: JSON.stringify(body) });
    expect(rig.sim.requestsFor('downloadFileStream').length, 'a foreign file id reached upstream').toBe(before);
    return answer;
  }

  it('lets a customer download the files the agent sent them and their own uploads; the ids they see are tagged, not raw', async () => {
    const local = rig.sim.agent.sendFile(alice.userId, { bytes, fileType: 'png', local: true });
    const localRef = await pollFile(alice);
    expect(localRef.fileId.startsWith(`local/${local.fileId}`)).toBe(true);
    expect(localRef.fileId).not.toBe(`local/${local.fileId}`);
    expect((await alice.client.downloadFileStream(localRef)).bytes).toEqual(bytes);

    const library = rig.sim.agent.sendFile(alice.userId, { bytes, fileType: 'png', local: false });
    const libraryRef = await pollFile(alice);
    expect(libraryRef.fileId).not.toBe(library.fileId);
    expect((await alice.client.downloadFileStream(libraryRef)).bytes).toEqual(bytes);

    const { objectKey } = await alice.client.uploadFileStream({ fileType: 'png', data: bytes });
    const rawKey = lastRawObjectKey();
    expect(objectKey).not.toBe(rawKey);
    expect((await alice.client.downloadFileStream({ fileId: objectKey, fileType: 'png', multiMedia: false })).bytes).toEqual(bytes);
  });

  it("answers someone else's file exactly like a file that does not exist, without asking upstream", async () => {
    const sent = rig.sim.agent.sendFile(alice.userId, { bytes, fileType: 'png', local: true });
    const aliceRef = await pollFile(alice);
    const upload = await alice.client.uploadFileStream({ fileType: 'png', data: bytes });
    const rawUpload = lastRawObjectKey();

    const attempts = [
      await bobDownloads(aliceRef.fileId, false), // what alice's browser holds
      await bobDownloads(`local/${sent.fileId}`, false), // the raw id, learned somehow
      await bobDownloads(sent.fileId, true),
      await bobDownloads(upload.objectKey, false), // alice's upload, as alice sees it
      await bobDownloads(rawUpload ?? '', false), // and raw
      await bobDownloads('00000000-0000-4000-8000-000000000000', false), // nothing at all
      await bobDownloads(`${aliceRef.fileId.slice(0, -3)}AAA`, false), // a tampered tag
    ];
    for (const a of attempts) expect(visible(a)).toEqual(visible(attempts[5]!));
    expect(attempts[0]!.status).toBe(200);
    expect(JSON.parse(attempts[0]!.body)).toEqual({ resultCode: DownloadResultCode.FAILED, resultDesc: ResultDesc.downloadFailed });
  });

  it("refuses a file message naming someone else's file; one's own is forwarded with the raw id", async () => {
    const channelId = rig.sim.channelId;
    const mine = await alice.client.uploadFileStream({ fileType: 'jpg', data: bytes });
    await alice.client.send({ controlType: 'CHAT', mediaType: 'IMAGE', content: mine.objectKey, from: alice.userId, to: channelId });
    const forwarded = rig.sim.requestsFor('send', alice.userId).at(-1)?.body as { content?: string } | undefined;
    const rawKey = lastRawObjectKey();
    expect(forwarded?.content).toBe(rawKey);
    // FILE carries "name,size,id,ext".
    await alice.client.send({ controlType: 'CHAT', mediaType: 'FILE', content: `notes,v2.txt,${bytes.length},${mine.objectKey},txt`, from: alice.userId, to: channelId });
    expect((rig.sim.requestsFor('send', alice.userId).at(-1)?.body as { content?: string }).content).toBe(`notes,v2.txt,${bytes.length},${rawKey},txt`);
    expect(rig.sim.violations.filter((v) => v.userId === alice.userId)).toEqual([]);

    const bobSends = async (content: string, mediaType = 'IMAGE') => {
      const before = rig.sim.requests.length;
      const body = { controlType: 'CHAT', mediaType, content, from: bob.userId, to: channelId, channel: 'WEB', sourceType: 'CUSTOMER' };
      const answer = await raw(rig, { path: P('send'), headers: jsonHeaders(bob.cookie, bobToken), body: JSON.stringify(body) });
      expect(rig.sim.requests.length).toBe(before);
      return answer;
    };
    for (const answer of [await bobSends(mine.objectKey), await bobSends(rawKey ?? ''), await bobSends(`a,1,${mine.objectKey},jpg`, 'FILE')]) {
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toEqual({ errorCode: '403', exceptionInfo: GATEWAY_REASONS.foreignFile, reason: 'foreignFile' });
    }
  });

  it('tags the ids in history the same way as in polls, so both copies of a message are one', async () => {
    const channelId = rig.sim.channelId;
    rig.sim.agent.sendFile(alice.userId, { bytes, fileType: 'png', local: false });
    const fromPoll = await pollFile(alice);
    const history = await alice.client.queryHistoryChatMessage({ channelId, userId: alice.userId });
    const contents = history.map((m) => m.content ?? '');
    expect(contents).toContain(fromPoll.fileId);
    // No id in history is untagged.
    for (const m of history) {
      if (m.mediaType === 'IMAGE') expect(m.content).toMatch(/~[A-Za-z0-9_-]{22}(,|$)/);
    }
  });

  it("matches upstream's own not-found answer byte for byte", async () => {
    // Alice's own, correctly tagged id for a file upstream no longer has: upstream answers.
    rig.sim.agent.sendFile(alice.userId, { bytes, fileType: 'png', local: true });
    const ref = await pollFile(alice);
    const aliceToken = await tokenFor(rig, alice.cookie);
    const body = (fileId: string) => JSON.stringify({ fileId, channel: 'WEB', fileType: 'png' });
    // reset() forgets every file (and session): this test runs last.
    rig.sim.reset();
    const before = rig.sim.requestsFor('downloadFileStream').length;
    const upstreamNotFound = await raw(rig, { path: P('downloadFileStream'), headers: jsonHeaders(alice.cookie, aliceToken), body: body(ref.fileId) });
    expect(rig.sim.requestsFor('downloadFileStream').length).toBe(before + 1);
    const foreign = await bobDownloads(ref.fileId, false);
    expect(visible(foreign)).toEqual(visible(upstreamNotFound));
  });
});
