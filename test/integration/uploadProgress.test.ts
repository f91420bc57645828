/**
 * Upload progress end to end: a customer's file goes through createChatSession, the uploadFile
 * worker and each transport to the simulator, and every snapshot's view of the file entry is
 * what a progress bar would show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcriptView, type ChatMessageView, type ChatUploadView } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { TRANSPORTS, closeTransports, fastSimulator, newUserId } from '../client/helpers.js';
import { outgoing, startSession, type SessionSnapshot } from './harness.js';

let sim: Simulator;
beforeAll(async () => (sim = await fastSimulator({ scenario: 'agent-direct' })));
afterAll(async () => {
  closeTransports();
  await sim.close();
});

const FILE_BYTES = 1_500_000;

/** The view of the customer's file entry in a snapshot. */
function fileEntry(snapshot: SessionSnapshot): ChatMessageView | undefined {
  return transcriptView(snapshot.context).find((e): e is ChatMessageView => e.kind === 'message' && e.from === 'customer' && e.file !== null);
}

describe.each(TRANSPORTS)('upload progress in the session ($name transport)', ({ name, clientFor }) => {
  it('the file entry shows 0 %, then its bytes going out, then 100 %, then no progress once uploaded', async () => {
    const userId = newUserId();
    const rig = startSession(sim, {}, userId, clientFor(sim, {}, userId));
    const uploads: ChatUploadView[] = [];
    rig.actor.subscribe((snapshot) => {
      const upload = fileEntry(snapshot)?.file?.upload;
      if (upload && uploads.at(-1) !== upload) uploads.push(upload);
    });
    await rig.until((s) => s.matches({ connected: 'queuing' }));
    sim.queue.serve(userId);
    await rig.until((s) => s.context.servedBy === 'agent');

    const data = new Uint8Array(FILE_BYTES).map((_, i) => (i * 13) % 256);
    rig.actor.send({ type: 'file.send', data, fileType: 'png', name: 'scan.png' });
    const sent = await rig.until((s) => outgoing(s).some((e) => e.file && (e.status === 'sent' || e.status === 'failed')));
    expect(outgoing(sent).find((e) => e.file)).toMatchObject({ status: 'sent', error: null });

    expect(uploads[0], 'as soon as it is picked').toEqual({ loaded: 0, total: FILE_BYTES, fraction: 0, percent: 0 });
    expect(uploads.at(-1), 'all of it went before the upload ended').toEqual({ loaded: FILE_BYTES, total: FILE_BYTES, fraction: 1, percent: 100 });
    const fractions = uploads.map((u) => u.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const between = uploads.filter((u) => u.loaded > 0 && u.loaded < FILE_BYTES);
    if (name === 'fetch') expect(between, 'fetch reports only the end').toEqual([]);
    else expect(between.length, `${name} shows the bytes going out`).toBeGreaterThan(0);

    const entry = outgoing(sent).find((e) => e.file);
    expect(entry?.progress, 'the context keeps no progress after the upload').toBeNull();
    expect(fileEntry(sent)?.file?.upload).toBeNull();
    expect(Buffer.from(sim.files.get(entry?.file?.objectKey ?? '') ?? []).equals(data), 'the simulator has the file').toBe(true);
    rig.actor.stop();
  });
});
