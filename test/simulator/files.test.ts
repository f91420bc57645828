import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { b64, Customer, start } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const bytes = (n: number, seed = 7): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);

async function withAgent(options: Parameters<typeof start>[0] = {}): Promise<Customer> {
  sim = await start({ scenario: 'no-survey', ...options });
  const c = await Customer.join(sim);
  await c.send('CONNECT');
  await c.poll();
  return c;
}

describe('uploadFileStream', () => {
  it('stores a Base64 upload and answers returnCode "0" with a UUID objectKey; it downloads again', async () => {
    const c = await withAgent();
    const data = bytes(3000);
    const up = await c.call('uploadFileStream', { fileType: 'JPEG', fileStream: b64(data), channel: 'WEB' });
    expect(up.body).toEqual({ returnCode: '0', objectKey: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/) });
    expect(up.body.resultCode).toBeUndefined();
    const key = up.body.objectKey as string;
    expect(sim.files.get(key)).toEqual(data);
    const down = await c.call('downloadFileStream', { fileId: key, channel: 'WEB', fileType: 'jpg' });
    expect(down.body).toEqual({ resultCode: '0', fileStream: b64(data) });
    // The log keeps long Base64 strings short.
    expect(sim.requestsFor('uploadFileStream')[0]?.body).toMatchObject({ fileStream: '[4000 chars]' });
    expect(sim.violations).toEqual([]);
  });

  it('rejects a data-URI prefix, broken Base64 and unknown types with "3"', async () => {
    const c = await withAgent();
    const dataUri = await c.call('uploadFileStream', { fileType: 'png', fileStream: `data:image/png;base64,${b64('x')}`, channel: 'WEB' });
    expect(dataUri.body.returnCode).toBe('3');
    const broken = await c.call('uploadFileStream', { fileType: 'png', fileStream: 'abc', channel: 'WEB' });
    expect(broken.body.returnCode).toBe('3');
    const gif = await c.call('uploadFileStream', { fileType: 'gif', fileStream: b64('x'), channel: 'WEB' });
    expect(gif.body.returnCode).toBe('3');
    const missing = await c.call('uploadFileStream', { fileType: 'png', channel: 'WEB' });
    expect(missing.body.returnCode).toBe('2');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value', 'invalid-value', 'invalid-value', 'missing-field']);
    expect(sim.violations[0]?.message).toMatch(/data-URI/);
  });

  it('answers "13" above uploadMaxBytes (decoded bytes)', async () => {
    const c = await withAgent({ uploadMaxBytes: 1000 });
    expect((await c.call('uploadFileStream', { fileType: 'txt', fileStream: b64(bytes(1000)), channel: 'WEB' })).body.returnCode).toBe('0');
    expect((await c.call('uploadFileStream', { fileType: 'txt', fileStream: b64(bytes(1001)), channel: 'WEB' })).body.returnCode).toBe('13');
    expect(sim.violations).toEqual([]);
  });
});

describe('downloadFileStream', () => {
  it('agent local file: contentType "1" + mediaFileType, fetched with local/<key>', async () => {
    const c = await withAgent();
    const data = bytes(500);
    const { fileId } = sim.agent.sendFile('u1', { bytes: data, fileType: 'png', local: true });
    const [msg] = await c.poll();
    expect(msg).toMatchObject({ sourceType: 'AGENT', mediaType: 'IMAGE', content: fileId, contentType: '1', mediaFileType: 'png' });
    const down = await c.call('downloadFileStream', { fileId: `local/${msg?.content}`, channel: 'WEB', fileType: msg?.mediaFileType });
    expect(down.body).toEqual({ resultCode: '0', fileStream: b64(data) });
    expect(sim.violations).toEqual([]);
    // Without the prefix the server looks in the media library and finds nothing.
    const bare = await c.call('downloadFileStream', { fileId, channel: 'WEB', fileType: 'png' });
    expect(bare.body).toEqual({ resultCode: '13', resultDesc: 'fsservice downloadFile is failed' });
    expect(sim.violations.map((v) => v.rule)).toEqual(['missing-local-prefix']);
  });

  it('media-library file: contentType null, needs multiMedia "multiMedia"', async () => {
    const c = await withAgent();
    const data = bytes(64);
    const { fileId } = sim.agent.sendFile('u1', { bytes: data, fileType: 'pdf' });
    const [msg] = await c.poll();
    expect(msg).toMatchObject({ mediaType: 'DOCUMENT', content: fileId, contentType: null });
    const ok = await c.call('downloadFileStream', { fileId, channel: 'WEB', fileType: 'pdf', multiMedia: 'multiMedia' });
    expect(ok.body.fileStream).toBe(b64(data));
    expect(sim.violations).toEqual([]);
    const without = await c.call('downloadFileStream', { fileId, channel: 'WEB', fileType: 'pdf' });
    expect(without.body.resultCode).toBe('13');
    expect(sim.violations.map((v) => v.rule)).toEqual(['missing-multimedia']);
  });

  it('documented failure codes: 401 objectKey null, 13 filetype out of range, 13 unknown, 2 channel', async () => {
    const c = await withAgent();
    expect((await c.call('downloadFileStream', { channel: 'WEB', fileType: 'jpg' })).body).toEqual({
      resultCode: '401',
      resultDesc: 'objectKey is null!',
    });
    expect((await c.call('downloadFileStream', { fileId: 'k', channel: 'WEB', fileType: 'exe' })).body).toEqual({
      resultCode: '13',
      resultDesc: 'param filetype Out of range!',
    });
    expect((await c.call('downloadFileStream', { fileId: 'nope', channel: 'WEB', fileType: 'jpg' })).body).toEqual({
      resultCode: '13',
      resultDesc: 'fsservice downloadFile is failed',
    });
    expect((await c.call('downloadFileStream', { fileId: 'k', fileType: 'jpg' })).body.resultCode).toBe('2');
  });

  it('answers "13" above downloadMaxBytes', async () => {
    const c = await withAgent({ downloadMaxBytes: 100 });
    const small = sim.agent.sendFile('u1', { bytes: bytes(100), fileType: 'txt', local: true });
    const big = sim.agent.sendFile('u1', { bytes: bytes(101), fileType: 'txt', local: true });
    expect((await c.call('downloadFileStream', { fileId: `local/${small.fileId}`, channel: 'WEB', fileType: 'txt' })).body.resultCode).toBe('0');
    expect((await c.call('downloadFileStream', { fileId: `local/${big.fileId}`, channel: 'WEB', fileType: 'txt' })).body.resultCode).toBe('13');
  });
});
