import { describe, expect, it } from 'vitest';
import * as updates from '../../machines/chatSession.updates.js';
import { entryAt, indexTranscript, INDEX_PAGE, shardOf, TRANSCRIPT_CHUNK, transcriptEntries } from '../../machines/chatSession.transcript.js';
import type { ChatSessionContext, OutgoingEntry } from '../../machines/chatSession.types.js';
import { agentText, disconnect, freshContext, history, readNotice, robotText, systemText } from './helpers.js';

const ctx = freshContext;

function apply(context: ChatSessionContext, update: Partial<ChatSessionContext>): ChatSessionContext {
  return { ...context, ...update };
}

const outgoing = (context: ChatSessionContext, key: string) => {
  const entry = entryAt(context, key);
  if (entry?.kind !== 'outgoing') throw new Error(`no outgoing ${key}`);
  return entry;
};

describe('transcript merge', () => {
  it('stores the transcript in chunks: a new message copies one chunk, never the history', () => {
    let c = ctx();
    const total = 2 * TRANSCRIPT_CHUNK + 88;
    for (let i = 0; i < total; i += 50) {
      const batch = Array.from({ length: Math.min(50, total - i) }, (_, k) => agentText(`a${i + k}`));
      c = apply(c, updates.receiveMessages(c, batch));
    }
    expect(c.transcript.length).toBe(total);
    expect(c.transcript.chunks.map((chunk) => chunk.length)).toEqual([TRANSCRIPT_CHUNK, TRANSCRIPT_CHUNK, 88]);
    expect(transcriptEntries(c.transcript).map((e) => e.key)).toEqual(Array.from({ length: total }, (_, i) => `a${i}`));
    expect(['a0', 'a255', 'a256', `a${total - 1}`].map((k) => entryAt(c, k)?.key)).toEqual(['a0', 'a255', 'a256', `a${total - 1}`]);

    // Appending: the full chunks are the same arrays as before; only the last one is new.
    const before = c;
    c = apply(c, updates.receiveMessages(c, [agentText('new')]));
    expect(c.transcript.chunks[0]).toBe(before.transcript.chunks[0]);
    expect(c.transcript.chunks[1]).toBe(before.transcript.chunks[1]);
    expect(c.transcript.chunks[2]).not.toBe(before.transcript.chunks[2]);
    expect(before.transcript.chunks[2]).toHaveLength(88); // the older snapshot is untouched
    // The index: only the last page of the touched shard is new; its full pages are shared.
    const shard = shardOf('new');
    const pages = c.transcriptIndex[shard] ?? [];
    const earlier = before.transcriptIndex[shard] ?? [];
    expect(pages.slice(0, earlier.length - 1)).toEqual(earlier.slice(0, -1));
    pages.slice(0, earlier.length - 1).forEach((page, i) => expect(page).toBe(earlier[i]));
    expect(pages.every((page) => page.keys.length <= INDEX_PAGE && page.positions.length === page.keys.length)).toBe(true);

    // Replacing an entry in an early chunk copies that chunk only.
    c = apply(c, updates.enqueueText(c, 'hello', 1000));
    const sentBefore = c;
    c = apply(c, updates.markSent(c, c.outbox[0]));
    expect(c.transcript.chunks[0]).toBe(sentBefore.transcript.chunks[0]);
    expect(entryAt(c, 'out-1000')).toMatchObject({ status: 'sent' });
    expect(entryAt(sentBefore, 'out-1000')).toMatchObject({ status: 'queued' });
    expect(c.transcript.chunks.map((chunk) => chunk.length)).toEqual([TRANSCRIPT_CHUNK, TRANSCRIPT_CHUNK, 90]);
    expect(c.transcriptIndex).toEqual(indexTranscript(c.transcript));
  });

  it('opens a new chunk when the last one is full', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, Array.from({ length: TRANSCRIPT_CHUNK }, (_, i) => agentText(`f${i}`))));
    const full = c;
    c = apply(c, updates.receiveMessages(c, [agentText('next'), agentText('f3')])); // f3: known, dropped
    expect(c.transcript.chunks.map((chunk) => chunk.length)).toEqual([TRANSCRIPT_CHUNK, 1]);
    expect(c.transcript.chunks[0]).toBe(full.transcript.chunks[0]);
    expect(entryAt(c, 'next')?.key).toBe('next');
    expect(c.transcript.length).toBe(TRANSCRIPT_CHUNK + 1);
  });

  it('keeps each message once, in arrival order', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, [systemText('s1'), robotText('r1'), robotText('r2')]));
    c = apply(c, updates.receiveMessages(c, [robotText('r2'), robotText('r3'), robotText('r1')]));
    expect(transcriptEntries(c.transcript).map((e) => e.key)).toEqual(['s1', 'r1', 'r2', 'r3']);
    expect(c.transcriptIndex).toEqual(indexTranscript(c.transcript));
    expect(['s1', 'r1', 'r2', 'r3'].map((k) => entryAt(c, k)?.key)).toEqual(['s1', 'r1', 'r2', 'r3']);
  });

  it('dedupes within one batch too', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, [agentText('a1'), agentText('a1')]));
    expect(c.transcript).toHaveLength(1);
    expect(c.bookkeeping.unreadAgentKeys).toEqual(['a1']);
  });

  it('returns no transcript change for an all-duplicate batch (same references)', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, [agentText('a1')]));
    const update = updates.receiveMessages(c, [agentText('a1')]);
    expect(update.transcript).toBeUndefined();
    expect(update.transcriptIndex).toBeUndefined();
  });

  it('does not mutate the previous context', () => {
    const c = apply(ctx(), updates.receiveMessages(ctx(), [agentText('a1')]));
    const before = JSON.stringify(c);
    updates.receiveMessages(c, [agentText('a2'), readNotice('rd', ['a1'])]);
    expect(JSON.stringify(c)).toBe(before);
  });

  it('tracks servedBy, agent nickname, interIdx and the server disconnect', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, [robotText('r1', 'hi', '4')]));
    expect(c).toMatchObject({ servedBy: 'robot', bookkeeping: { lastInterIdx: '4' } });
    c = apply(c, updates.receiveMessages(c, [agentText('a1')]));
    expect(c).toMatchObject({ servedBy: 'agent', agentNickname: 'Agent Smith' });
    c = apply(c, updates.receiveMessages(c, [robotText('r2')]));
    expect(c.servedBy).toBe('agent');
    c = apply(c, updates.receiveMessages(c, [disconnect('SYSTEM', 'd1', true)]));
    expect(c.serverDisconnect).toEqual({ sourceType: 'SYSTEM', isOfflineStatus: true });
  });

  it('does not count robot messages as being served while waiting for an agent', () => {
    let c = ctx({ bookkeeping: { awaitingAgent: true } });
    c = apply(c, updates.receiveMessages(c, [robotText('r1')]));
    expect(c.servedBy).toBeNull();
  });

  it('puts history first, oldest first, and dedupes it against live messages', () => {
    let c = ctx();
    c = apply(c, updates.mergeHistory(c, [history('h2', 20), history('h1', 10), history('h3', 30, 'CUSTOMER')]));
    c = apply(c, updates.receiveMessages(c, [agentText('h3'), agentText('live')]));
    expect(transcriptEntries(c.transcript).map((e) => `${e.kind}:${e.key}`)).toEqual(['history:h1', 'history:h2', 'history:h3', 'incoming:live']);
  });

  it('merges a batch by index: only the shards of new keys are copied', () => {
    let c = ctx();
    c = apply(c, updates.receiveMessages(c, Array.from({ length: 5000 }, (_, i) => agentText(`m${i}`))));
    const update = updates.receiveMessages(c, [agentText('m17'), agentText('brand-new')]);
    const next = apply(c, update);
    const touched = shardOf('brand-new');
    for (const shard of Object.keys(c.transcriptIndex)) {
      if (shard === touched) expect(next.transcriptIndex[shard]).not.toBe(c.transcriptIndex[shard]);
      else expect(next.transcriptIndex[shard]).toBe(c.transcriptIndex[shard]); // shared, not copied
    }
    expect(next.transcript).toHaveLength(5001);
    expect(next.transcriptIndex).toEqual(indexTranscript(next.transcript));
  });
});

describe('outbox', () => {
  it('queues text with a local id from a strictly increasing wire timestamp', () => {
    let c = ctx({ compose: { draft: 'hel', suggestions: ['hello?'] } });
    c = apply(c, updates.enqueueText(c, 'one', 1000));
    c = apply(c, updates.enqueueText(c, 'two', 1000)); // same millisecond
    c = apply(c, updates.enqueueText(c, 'three', 900)); // clock went back
    expect(c.outbox).toEqual(['out-1000', 'out-1001', 'out-1002']);
    expect(outgoing(c, 'out-1001')).toMatchObject({ text: 'two', timestamp: 1001, status: 'queued', read: false });
    expect(c.compose).toEqual({ draft: '', suggestions: [] });
  });

  it('goes queued → sending → sent, and failed → queued on retry', () => {
    let c = ctx();
    c = apply(c, updates.enqueueText(c, 'one', 1));
    c = apply(c, updates.enqueueText(c, 'two', 2));
    c = apply(c, updates.markHeadSending(c));
    expect(outgoing(c, 'out-1').status).toBe('sending');
    c = apply(c, updates.markSent(c, 'out-1'));
    expect(outgoing(c, 'out-1').status).toBe('sent');
    expect(c.outbox).toEqual(['out-2']);
    c = apply(c, updates.markHeadSending(c));
    c = apply(c, updates.markHeadFailed(c, { name: 'AiccError', kind: 'network', api: 'send', message: 'down' }));
    expect(outgoing(c, 'out-2')).toMatchObject({ status: 'failed', error: { kind: 'network' } });
    expect(c.outbox).toEqual([]);
    c = apply(c, updates.requeueMessage(c, 'out-2'));
    expect(outgoing(c, 'out-2')).toMatchObject({ status: 'queued', error: null });
    expect(c.outbox).toEqual(['out-2']);
    expect(updates.requeueMessage(c, 'out-1')).toEqual({}); // sent: nothing to retry
  });

  it('turns an uploaded file into IMAGE (bare key) or FILE ("name,size,key,ext") content', () => {
    let c = ctx();
    c = apply(c, updates.enqueueFile(c, { data: new Uint8Array(10), fileType: 'JPEG' }, 5));
    c = apply(c, updates.enqueueFile(c, { data: new Uint8Array(6), fileType: 'txt', name: 'notes, v2.txt' }, 6));
    expect(outgoing(c, 'out-5')).toMatchObject({ mediaType: 'IMAGE', status: 'uploading', content: null, file: { fileType: 'jpg', size: 10 } });
    c = apply(c, updates.completeUpload(c, 'out-5', 'key-5'));
    c = apply(c, updates.completeUpload(c, 'out-6', 'key-6'));
    expect(outgoing(c, 'out-5')).toMatchObject({ status: 'queued', content: 'key-5', file: { objectKey: 'key-5' } });
    expect(outgoing(c, 'out-6')).toMatchObject({ mediaType: 'FILE', content: 'notes_ v2.txt,6,key-6,txt' });
  });

  it('records upload progress on the uploading file only, and drops forged or stale counts', () => {
    let c = ctx();
    c = apply(c, updates.enqueueFile(c, { data: new Uint8Array(10), fileType: 'png' }, 1));
    c = apply(c, updates.enqueueText(c, 'text', 2));
    expect(outgoing(c, 'out-1').progress).toEqual({ loaded: 0, total: 10 });
    expect(outgoing(c, 'out-2').progress).toBeNull();
    c = apply(c, updates.recordUploadProgress(c, 'out-1', 4, 10));
    expect(outgoing(c, 'out-1').progress).toEqual({ loaded: 4, total: 10 });
    const forged: [unknown, unknown, unknown][] = [
      ['out-1', 4, 10], // unchanged
      ['out-1', 11, 10], // past the end
      ['out-1', 5, 12], // not this file's size
      ['out-1', -1, 10],
      ['out-1', 2.5, 10],
      ['out-1', Number.NaN, 10],
      ['out-1', '5', 10],
      ['out-1', 5, null],
      ['out-2', 1, 10], // text
      ['no-such', 1, 10],
      [undefined, 1, 10],
      [{}, {}, {}],
    ];
    for (const [localId, loaded, total] of forged) expect(updates.recordUploadProgress(c, localId, loaded, total), JSON.stringify([localId, loaded, total])).toEqual({});
    c = apply(c, updates.completeUpload(c, 'out-1', 'key-1'));
    expect(outgoing(c, 'out-1').progress).toBeNull();
    expect(updates.recordUploadProgress(c, 'out-1', 10, 10), 'a late report after the upload ended').toEqual({});

    c = apply(c, updates.enqueueFile(c, { data: new Uint8Array(3), fileType: 'png' }, 3));
    c = apply(c, updates.recordUploadProgress(c, 'out-3', 3, 3));
    c = apply(c, updates.failUpload(c, 'out-3', { name: 'AiccError', kind: 'network', api: 'uploadFileStream', message: 'down' }));
    expect(outgoing(c, 'out-3')).toMatchObject({ status: 'failed', progress: null });
  });

  it('fails uploads that lost their bytes, and interrupted or unsent messages', () => {
    let c = ctx();
    c = apply(c, updates.enqueueFile(c, { data: new Uint8Array(1), fileType: 'png' }, 1));
    c = apply(c, updates.enqueueText(c, 'on the wire', 2));
    c = apply(c, updates.enqueueText(c, 'waiting', 3));
    c = apply(c, updates.failOrphanedUploads(c));
    expect(outgoing(c, 'out-1')).toMatchObject({ status: 'failed', progress: null, error: { api: 'uploadFileStream', field: 'data' } });
    c = apply(c, updates.markHeadSending(c));
    c = apply(c, updates.interruptSending(c));
    expect(outgoing(c, 'out-2')).toMatchObject({ status: 'failed', error: { kind: 'aborted', outcomeUnknown: true } });
    c = apply(c, updates.failUnsentMessages(c));
    expect(outgoing(c, 'out-3')).toMatchObject({ status: 'failed', error: { kind: 'aborted' } });
    expect(c.outbox).toEqual([]);
  });

  it('marks outgoing messages read from READ notices naming their wire timestamp', () => {
    let c = ctx();
    c = apply(c, updates.enqueueText(c, 'one', 1700000000001));
    c = apply(c, updates.enqueueText(c, 'two', 1700000000002));
    c = apply(c, updates.receiveMessages(c, [readNotice('rd1', ['1700000000001', 'unknown'])]));
    expect(outgoing(c, 'out-1700000000001').read).toBe(true);
    expect(outgoing(c, 'out-1700000000002').read).toBe(false);
    expect(c.transcript).toHaveLength(2); // READ notices are not transcript entries
  });
});

describe('other updates', () => {
  it('drops late suggestions for text that changed', () => {
    const c = ctx({ compose: { draft: 'hello' } });
    expect(updates.setSuggestions(c, 'hell', ['x'])).toEqual({});
    expect(updates.setSuggestions(c, 'hello', ['1', '2', '3', '4', '5', '6'])).toEqual({ compose: { draft: 'hello', suggestions: ['1', '2', '3', '4', '5'] } });
  });

  it('acknowledges read agent messages', () => {
    const c = ctx({ bookkeeping: { unreadAgentKeys: ['a', 'b', 'c'] } });
    expect(updates.acknowledgeRead(c, ['a', 'c'])).toEqual({ bookkeeping: { ...c.bookkeeping, unreadAgentKeys: ['b'] } });
  });

  it('stores the survey for whoever served the customer', () => {
    const mode = { surveyType: 'WEB' as const, levels: [{ key: '1', label: 'bad' }], questions: [] };
    expect(updates.storeSurvey(ctx({ servedBy: 'robot' }), mode)).toEqual({
      survey: { offer: { target: 'robot', levels: mode.levels, questions: [] }, answer: null, submitted: false },
    });
    expect(updates.storeSurvey(ctx({ servedBy: null }), mode)).toEqual({});
  });

  it('sanitises file names for the comma-joined FILE format', () => {
    expect(updates.fileNameFor('a,b.txt', 'txt', 1)).toBe('a_b.txt');
    expect(updates.fileNameFor(undefined, 'csv', 7)).toBe('file-7.csv');
  });

  it('keeps only AgentSurveyAnswer fields', () => {
    const entry = updates.storeAgentSurveyAnswer(ctx(), { evaluation: '5', npsScore: 9, ...({ extra: 'x' } as object) });
    expect(entry.survey?.answer).toEqual({ evaluation: '5', npsScore: 9 });
  });
});

export type { OutgoingEntry };
