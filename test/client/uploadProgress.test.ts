/**
 * Upload progress, from the transports up: each transport's raw `onUploadProgress` over real
 * HTTP, then `uploadFileStream`'s `onProgress` (scaled to the file, throttled, always ending at
 * 100 %) against the simulator, once per transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8Length, type HttpRequest, type HttpTransport } from '../../src/client/http.js';
import { PROGRESS_INTERVAL_MS, PROGRESS_STEP, uploadProgress } from '../../src/client/progress.js';
import { AXIOS_HELPERS, loadAxiosTransport } from '../../src/client/transport.js';
import { API_PATHS } from '../../src/client/protocol.js';
import type { UploadProgress } from '../../src/client/types.js';
import type { Simulator } from '../../src/simulator/index.js';
import { TRANSPORTS, closeTransports, fastSimulator } from './helpers.js';

/** A file of `size` bytes: Base64 in JSON makes its request body ~4/3 of that. */
const fileOf = (size: number): Uint8Array => new Uint8Array(size).map((_, i) => (i * 31) % 256);

let sim: Simulator;
beforeAll(async () => (sim = await fastSimulator({ uploadMaxBytes: 2_000_000 })));
afterAll(async () => {
  closeTransports();
  await sim.close();
});

/** The transport of a case as a plain HttpTransport (axios: the module the client loads). */
async function rawTransport(transport: HttpTransport | undefined): Promise<HttpTransport> {
  if (transport) return transport;
  const axios = await loadAxiosTransport();
  return { name: 'axios', request: (request) => axios.axiosRequest(axios.sharedHttp(), request, AXIOS_HELPERS) };
}

describe.each(TRANSPORTS)('upload progress ($name transport)', ({ name, transport, clientFor }) => {
  it('the transport reports the body going out, in UTF-8 bytes, ending with all of it', async () => {
    const http = await rawTransport(transport);
    // Not ASCII on purpose: the count is of bytes on the wire, not of string units.
    const body = JSON.stringify({ fileStream: 'é✓😀'.repeat(120_000) });
    const total = Buffer.byteLength(body);
    const reports: [number, number][] = [];
    const request: HttpRequest = {
      method: 'POST',
      url: sim.url + API_PATHS.uploadFileStream,
      headers: { 'content-type': 'application/json' },
      body,
      timeoutMs: 60_000,
      onUploadProgress: (sent, of) => reports.push([sent, of]),
    };
    const answer = await http.request(request);
    expect(answer.status, 'the simulator answered (no gateway headers: 403)').toBe(403);
    expect(reports.at(-1)).toEqual([total, total]);
    expect(reports.every(([sent, of]) => of === total && sent > 0 && sent <= total)).toBe(true);
    expect(reports.map(([sent]) => sent)).toEqual([...reports.map(([sent]) => sent)].sort((a, b) => a - b));
    if (name === 'fetch') expect(reports, 'fetch cannot tell: the end only').toEqual([[total, total]]);
    else expect(reports.some(([sent]) => sent < total), `${name} reports along the way`).toBe(true);
  });

  it('a request without onUploadProgress goes through as before', async () => {
    const http = await rawTransport(transport);
    const answer = await http.request({ method: 'POST', url: sim.url + API_PATHS.uploadFileStream, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 10_000 });
    expect(answer.status).toBe(403);
  });

  it('uploadFileStream: onProgress in file bytes, few reports, rising, ending at the file size', async () => {
    const { client } = clientFor(sim);
    const data = fileOf(1_500_000);
    const reports: UploadProgress[] = [];
    const started = Date.now();
    const { objectKey } = await client.uploadFileStream({ fileType: 'png', data }, { onProgress: (p) => reports.push(p) });
    const elapsed = Date.now() - started;
    // Buffer.equals: toEqual walks a typed array element by element (seconds for 1.5 MB).
    expect(Buffer.from(sim.files.get(objectKey) ?? []).equals(data), 'the simulator stored the file').toBe(true);

    expect(reports.at(-1)).toEqual({ loaded: data.length, total: data.length });
    expect(reports.every((p) => p.total === data.length && Number.isInteger(p.loaded) && p.loaded > 0 && p.loaded <= data.length)).toBe(true);
    const loaded = reports.map((p) => p.loaded);
    expect(new Set(loaded).size, 'never the same count twice').toBe(loaded.length);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    // Throttled: at most one report per PROGRESS_STEP of the file, one per interval, and the end.
    expect(reports.length).toBeLessThanOrEqual(1 / PROGRESS_STEP + Math.ceil(elapsed / PROGRESS_INTERVAL_MS) + 1);
    if (name === 'fetch') expect(reports).toHaveLength(1);
    else expect(loaded.some((n) => n < data.length), `${name}: progress before the end`).toBe(true);
  });

  it('uploadFileStream: an onProgress that throws does not break the upload', async () => {
    const { client } = clientFor(sim);
    let calls = 0;
    const { objectKey } = await client.uploadFileStream(
      { fileType: 'txt', data: fileOf(300_000) },
      {
        onProgress: () => {
          calls += 1;
          throw new Error('a UI bug');
        },
      },
    );
    expect(sim.files.get(objectKey)?.length).toBe(300_000);
    expect(calls).toBeGreaterThan(0);
  });
});

describe('uploadProgress (the throttle), on a clock of the test', () => {
  function run(fileBytes: number, steps: [sent: number, total: number, at: number][]): UploadProgress[] {
    const reports: UploadProgress[] = [];
    let now = 0;
    const onBody = uploadProgress(fileBytes, (p) => reports.push(p), () => now);
    for (const [sent, total, at] of steps) {
      now = at;
      onBody(sent, total);
    }
    return reports;
  }

  it('scales the body to the file, reports each PROGRESS_STEP at once and always the end', () => {
    // Body 4000 bytes for a 3000-byte file; 1 % steps, all at the same instant.
    const steps = Array.from({ length: 100 }, (_, i): [number, number, number] => [(i + 1) * 40, 4000, 0]);
    const reports = run(3000, steps);
    expect(reports.at(-1)).toEqual({ loaded: 3000, total: 3000 });
    expect(reports.map((p) => p.loaded)).toEqual([30, 180, 330, 480, 630, 780, 930, 1080, 1230, 1380, 1530, 1680, 1830, 1980, 2130, 2280, 2430, 2580, 2730, 2880, 3000]);
    expect(PROGRESS_STEP * 3000).toBe(150);
  });

  it('between steps, reports once PROGRESS_INTERVAL_MS passed', () => {
    const reports = run(1000, [
      [10, 1000, 0],
      [20, 1000, PROGRESS_INTERVAL_MS - 1],
      [30, 1000, PROGRESS_INTERVAL_MS],
      [40, 1000, PROGRESS_INTERVAL_MS + 1],
      [50, 1000, 2 * PROGRESS_INTERVAL_MS],
    ]);
    expect(reports.map((p) => p.loaded)).toEqual([10, 30, 50]);
  });

  it('never repeats a count; a body sent again (a 401 retry) starts over; an unknown total counts as done', () => {
    expect(run(100, [[50, 100, 0], [50, 100, 1000], [100, 100, 1000], [100, 100, 2000]]).map((p) => p.loaded)).toEqual([50, 100]);
    expect(run(100, [[80, 100, 0], [10, 100, 1], [100, 100, 2]]).map((p) => p.loaded)).toEqual([80, 10, 100]);
    expect(run(100, [[10, 0, 0]])).toEqual([{ loaded: 100, total: 100 }]);
  });
});

describe('utf8Length', () => {
  it('counts what Buffer.byteLength counts, without encoding', () => {
    for (const text of ['', 'ascii', 'é', '✓', '😀', 'a😀b', '\ud800', '\ud800x', '\udc00', '€uro 😀😀 ✓']) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text));
    }
  });
});
