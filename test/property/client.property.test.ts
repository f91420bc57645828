/**
 * Property-based tests of the client against malformed server answers (fast-check): whatever a
 * server, a gateway or a proxy sends back — missing fields, wrong types, broken or non-object
 * JSON, HTML error pages, huge bodies, any status, transport errors — every client method either
 * resolves with a value of its documented shape or rejects with a typed `AiccError` (one of the
 * documented kinds). Never a TypeError, never a hang, never a non-AiccError rejection.
 *
 * Answers come from an axios adapter (no HTTP), so thousands of cases run in a second; two
 * example tests at the end go through the simulator over real HTTP (broken JSON, a huge body).
 */
import axios, { AxiosError, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiccError, createAiccClient, type AiccClient } from '../../src/client/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

const KINDS = ['network', 'timeout', 'http', 'business', 'validation', 'aborted', 'protocol'];

interface Answer {
  status: number;
  body: string | undefined;
  transport?: string;
  rotate?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Malformed answers

const junk = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant({}), fc.array(fc.string(), { maxLength: 3 }));

const wireMessage = fc.record(
  {
    controlType: fc.oneof(fc.constantFrom('CHAT', 'DISCONNECT', 'READ', 'CONNECT', 'TRANS2AGENT', 'WHATEVER'), junk),
    mediaType: fc.oneof(fc.constantFrom('TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT', 'LOCATE', 'FILE'), junk),
    content: fc.oneof(fc.string(), fc.constantFrom('1.5/2.5/here', 'key,jpg', '["1","2"]', 'a,b,c'), junk),
    sourceType: fc.oneof(fc.constantFrom('AGENT', 'ROBOT', 'SYSTEM', 'CUSTOMER'), junk),
    timestamp: fc.oneof(fc.integer(), fc.string(), junk),
    messageCode: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'), minLength: 8, maxLength: 64 }), junk),
    senderNickname: junk,
    callId: junk,
    interIdx: junk,
    isOfflineStatus: fc.oneof(fc.boolean(), fc.constant('true'), junk),
    contentType: fc.oneof(fc.constant('1'), junk),
    mediaFileType: junk,
    queueFlag: fc.oneof(fc.constant('Y'), junk),
    from: junk,
    to: junk,
  },
  { requiredKeys: [] },
);

const list = <T>(item: fc.Arbitrary<T>) => fc.oneof(fc.array(item, { maxLength: 4 }), junk);

const shaped = fc.record(
  {
    resultCode: fc.oneof(fc.constantFrom('0', '0', '0', '1', '2', '3', '12', '13', '401', '160004', '160021', '160022', '5'), junk),
    returnCode: fc.oneof(fc.constantFrom('0', '13'), junk),
    resultDesc: junk,
    downlinkMessages: list(fc.oneof(wireMessage, junk)),
    messageList: list(fc.oneof(fc.record({ id: junk, messageCode: junk, sourceType: fc.oneof(fc.constantFrom('USER', 'AGENT'), junk), sendTime: junk, content: junk, mediaType: junk, controlType: junk }, { requiredKeys: [] }), junk)),
    satisfactionSurvey: fc.oneof(
      fc.record(
        {
          surveyType: fc.oneof(fc.constantFrom('WEB', 'NO'), junk),
          satisfactionLevel: list(fc.oneof(fc.record({ satisfactionLevelKey: junk, satisfactionLevelDesc: junk }, { requiredKeys: [] }), junk)),
          satisfactionQuestion: list(junk),
        },
        { requiredKeys: [] },
      ),
      junk,
    ),
    question: fc.oneof(list(junk), junk),
    objectKey: junk,
    fileStream: fc.oneof(fc.constantFrom('aGVsbG8=', 'not base64!', ''), junk),
    fileUrl: junk,
    token: junk,
    AccessToken: junk,
    Expires: junk,
    CreateTime: junk,
    position: junk,
    totalWaitTime: junk,
    errorCode: junk,
    exceptionInfo: junk,
  },
  { requiredKeys: [] },
);

const body: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: shaped.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', '{"resultCode":', 'null', '[]', '"text"', '42', 'true', '<html><body>502 Bad Gateway</body></html>', '\u0000\u0001', '{"resultCode":"0"}{"resultCode":"1"}') },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(200, 200, 200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503, 504),
  body,
  transport: fc.option(fc.constantFrom('ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_NETWORK', 'ERR_CANCELED'), { freq: 8 }).map((v) => v ?? undefined),
  rotate: fc.boolean(),
});

/** An axios instance whose adapter answers from the queue (then 200 `{}` once it runs dry). */
function scripted(answers: Answer[]) {
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const next = answers.shift() ?? { status: 200, body: '{}' };
    if (next.transport === 'ERR_CANCELED') throw new axios.CanceledError('canceled', undefined, config);
    if (next.transport) throw new AxiosError(`transport ${next.transport}`, next.transport, config);
    return {
      data: next.body,
      status: next.status,
      statusText: String(next.status),
      headers: next.rotate ? { 'ccmessaging-token': `rotated-${answers.length}` } : {},
      config,
    };
  };
  return axios.create({ adapter, maxRedirects: 0 });
}

function clientFor(answers: Answer[]): AiccClient {
  return createAiccClient({
    baseUrl: 'http://aicc.invalid',
    axios: scripted([...answers]),
    token: async () => 'a-token',
    gatewayHeaders: async () => ({ 'x-app-key': 'k', Authorization: 'Bearer t' }),
  });
}

// ---------------------------------------------------------------------------------------------
// Every method with valid input, and what its result must look like

const U = 'prop-user';
const CH = '1011577355744904195';

type Call = {
  name: string;
  run: (c: AiccClient) => Promise<unknown>;
  shape: (value: unknown) => void;
  /** A success envelope with this API's own fields broken (reaches the parsers more often). */
  envelope?: fc.Arbitrary<Record<string, unknown>>;
};

const ok0 = fc.constantFrom('0', '0', '0', '13');
const histItem = fc.record(
  { id: junk, messageCode: junk, sourceType: fc.oneof(fc.constantFrom('USER', 'AGENT', 'ROBOT'), junk), sendTime: junk, receiveTime: junk, content: junk, mediaType: junk, controlType: junk, callId: junk, senderNickname: junk },
  { requiredKeys: [] },
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const resultInfo = (v: unknown) => {
  expect(isObject(v) && typeof v.resultCode === 'string').toBe(true);
};

const CALLS: Call[] = [
  {
    name: 'poll',
    run: (c) => c.poll({ userId: U, isNeedRead: true }),
    envelope: fc.record({ resultCode: ok0, downlinkMessages: fc.oneof(fc.array(fc.oneof(wireMessage, junk), { maxLength: 5 }), junk) }),
    shape: (v) => {
      expect(Array.isArray(v)).toBe(true);
      for (const m of v as Record<string, unknown>[]) {
        expect(typeof m.key).toBe('string');
        expect(['CHAT', 'DISCONNECT', 'READ', 'CONNECT', 'TRANS2AGENT', 'UNKNOWN']).toContain(m.controlType);
        expect(typeof m.timestamp).toBe('number');
        if (m.controlType === 'CHAT') {
          const content = m.content as Record<string, unknown>;
          expect(['TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT', 'LOCATE', 'UNKNOWN']).toContain(content.mediaType);
          if (content.mediaType === 'TEXT') expect(typeof content.text).toBe('string');
        }
        if (m.controlType === 'READ') expect((m.messageIds as unknown[]).every((id) => typeof id === 'string')).toBe(true);
        if (m.controlType === 'DISCONNECT') expect(typeof m.isOfflineStatus).toBe('boolean');
      }
    },
  },
  { name: 'send', run: (c) => c.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'hi', from: U, to: CH, timestamp: 1 }), shape: resultInfo },
  { name: 'sendAsync', run: (c) => c.sendAsync({ controlType: 'CONNECT', from: U, to: CH }), shape: resultInfo },
  {
    name: 'queryHistoryChatMessage',
    run: (c) => c.queryHistoryChatMessage({ userId: U, channelId: CH, limit: 10 }),
    envelope: fc.record({ resultCode: ok0, messageList: fc.oneof(fc.array(fc.oneof(histItem, junk), { maxLength: 4 }), junk) }),
    shape: (v) => {
      expect(Array.isArray(v)).toBe(true);
      for (const m of v as Record<string, unknown>[]) {
        expect(typeof m.key).toBe('string');
        expect(typeof m.timestamp).toBe('number');
      }
    },
  },
  {
    name: 'queryQueueInfo',
    run: (c) => c.queryQueueInfo({ userId: U, channelConfigId: CH }),
    envelope: fc.record({ resultCode: fc.oneof(fc.constantFrom('0', '160021', '160022', '160004', '5', '7'), junk), position: junk, totalWaitTime: junk, estimateWaitTime: junk }),
    shape: (v) => expect(['queuing', 'with-agent', 'in-ivr', 'ended']).toContain((v as { status?: unknown }).status),
  },
  {
    name: 'getSatisfactionSurveyMode',
    run: (c) => c.getSatisfactionSurveyMode({ language: 'en' }),
    envelope: fc.record({
      resultCode: ok0,
      satisfactionSurvey: fc.oneof(
        fc.record({
          surveyType: fc.oneof(fc.constant('WEB'), junk),
          satisfactionLevel: fc.oneof(fc.array(fc.oneof(fc.record({ satisfactionLevelKey: fc.oneof(fc.string(), junk), satisfactionLevelDesc: junk }, { requiredKeys: [] }), junk), { maxLength: 3 }), junk),
          satisfactionQuestion: fc.oneof(fc.array(junk, { maxLength: 3 }), junk),
        }),
        junk,
      ),
    }),
    shape: (v) => {
      const mode = v as { surveyType: string; levels?: { key: unknown; label: unknown }[]; questions?: unknown[] };
      expect(['WEB', 'NO']).toContain(mode.surveyType);
      if (mode.surveyType === 'WEB') {
        expect(mode.levels?.every((l) => typeof l.key === 'string' && typeof l.label === 'string')).toBe(true);
        expect(mode.questions?.every((q) => typeof q === 'string')).toBe(true);
      }
    },
  },
  { name: 'saveSatisfaction', run: (c) => c.saveSatisfaction({ userId: U, channelConfigId: CH, evaluation: '5', comment: 'ok' }), shape: resultInfo },
  { name: 'feedbackSatisfaction', run: (c) => c.feedbackSatisfaction({ satisfied: true, from: U, interIdx: '2' }), shape: resultInfo },
  {
    name: 'uploadFileStream',
    run: (c) => c.uploadFileStream({ fileType: 'png', data: new Uint8Array([1, 2, 3]) }),
    envelope: fc.record({ returnCode: fc.oneof(fc.constant('0'), junk), objectKey: junk }),
    shape: (v) => expect(typeof (v as { objectKey?: unknown }).objectKey === 'string' && (v as { objectKey: string }).objectKey !== '').toBe(true),
  },
  {
    name: 'downloadFileStream',
    run: (c) => c.downloadFileStream({ fileId: 'k', fileType: 'jpg', multiMedia: true }),
    envelope: fc.record({ resultCode: fc.oneof(fc.constant('0'), junk), fileStream: fc.oneof(fc.constantFrom('aGVsbG8=', '', '===='), junk), fileUrl: junk }, { requiredKeys: [] }),
    shape: (v) => expect((v as { bytes?: unknown }).bytes).toBeInstanceOf(Uint8Array),
  },
  {
    name: 'queryPhraseByKeyword',
    run: (c) => c.queryPhraseByKeyword({ text: 'pass', locale: 'en' }),
    envelope: fc.record({ resultCode: ok0, question: fc.oneof(fc.array(junk, { maxLength: 6 }), junk) }),
    shape: (v) => expect(Array.isArray(v) && (v as unknown[]).every((q) => typeof q === 'string')).toBe(true),
  },
  { name: 'doLeaveMessage', run: (c) => c.doLeaveMessage({ userId: U, caller: '+86 138 0000 0000', message: 'call me' }), shape: resultInfo },
  {
    name: 'applyToken',
    run: (c) => c.applyToken({ userId: U, userName: 'P', channelId: CH, locale: 'en' }),
    envelope: fc.record({ resultCode: fc.oneof(fc.constant('0'), junk), token: junk }, { requiredKeys: [] }),
    shape: (v) => expect(typeof (v as { token?: unknown }).token === 'string').toBe(true),
  },
  {
    name: 'tokenByAkSk',
    run: (c) => c.tokenByAkSk({ appKey: 'k', appSecret: 's' }),
    envelope: fc.record({ AccessToken: fc.oneof(fc.string(), junk), Expires: junk, CreateTime: junk, AppKey: junk, Scope: junk }, { requiredKeys: [] }),
    shape: (v) => {
      const t = v as { accessToken?: unknown; expiresAt?: unknown };
      expect(typeof t.accessToken === 'string' && Number.isFinite(t.expiresAt)).toBe(true);
    },
  },
];

const tally = { calls: 0, answers: 0, typedErrors: 0, values: 0 };

async function outcome(call: Call, answers: Answer[]): Promise<void> {
  tally.calls += 1;
  tally.answers += answers.length;
  let value: unknown;
  try {
    value = await call.run(clientFor(answers));
  } catch (error) {
    if (!(error instanceof AiccError)) {
      throw new Error(`${call.name} rejected with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} (not an AiccError)`);
    }
    expect(KINDS).toContain(error.kind);
    expect(typeof error.message).toBe('string');
    tally.typedErrors += 1;
    return;
  }
  call.shape(value);
  tally.values += 1;
}

describe('client: malformed answers give typed results or typed errors (fast-check)', () => {
  for (const call of CALLS) {
    it(call.name, async () => {
      const own: fc.Arbitrary<Answer> = call.envelope
        ? fc.oneof(
            { weight: 2, arbitrary: answer },
            { weight: 3, arbitrary: call.envelope.map((value): Answer => ({ status: 200, body: JSON.stringify(value) })) },
          )
        : answer;
      await fc.assert(
        fc.asyncProperty(fc.array(own, { minLength: 1, maxLength: 3 }), async (answers) => {
          await outcome(call, answers);
        }),
        { numRuns: 400, seed: 20260510 },
      );
    });
  }
});

afterAll(() => {
  if (process.env['PROPERTY_STATS']) console.log(`client properties: ${JSON.stringify(tally)}`);
});

describe('client: malformed answers over real HTTP (simulator raw answers)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: 'robot-only' });
  });
  afterAll(() => sim.close());

  function realClient(): AiccClient {
    return createAiccClient({
      baseUrl: sim.url,
      token: async () => 'not-checked-before-faults',
      gatewayHeaders: async () => ({ 'x-app-key': sim.credentials.appKey, Authorization: 'Bearer x' }),
    });
  }

  it('broken JSON and HTML error pages are protocol / http errors', async () => {
    sim.faults.next('poll', { status: 200, raw: '{"resultCode":"0","downlinkMessages":[' });
    await expect(realClient().poll({ userId: U })).rejects.toMatchObject({ name: 'AiccError', kind: 'protocol' });
    sim.faults.next('send', { status: 502, raw: '<html>bad gateway</html>' });
    await expect(realClient().send({ controlType: 'CONNECT', from: U, to: sim.channelId })).rejects.toMatchObject({ kind: 'http', status: 502 });
  });

  it('a body beyond the download cap is refused as a protocol error, without buffering it all', async () => {
    const huge = JSON.stringify({ resultCode: '0', fileStream: 'A'.repeat(4 * 1024 * 1024) });
    sim.faults.next('downloadFileStream', { status: 200, raw: huge });
    const client = createAiccClient({
      baseUrl: sim.url,
      token: async () => 't',
      gatewayHeaders: async () => ({ 'x-app-key': sim.credentials.appKey, Authorization: 'Bearer x' }),
      downloadMaxBytes: 1024 * 1024,
    });
    await expect(client.downloadFileStream({ fileId: 'k', fileType: 'jpg', multiMedia: true })).rejects.toMatchObject({ kind: 'protocol' });
  });
});

describe('client: a caller that gives up leaves no unhandled rejection behind', () => {
  it('a shared token fetch whose only caller had already aborted fails quietly', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const client = createAiccClient({
        baseUrl: 'http://aicc.invalid',
        axios: scripted([]),
        token: () => new Promise<string>((_resolve, reject) => setTimeout(() => reject(new Error('token back end down')), 10)),
      });
      // A page going away (or the poll loop dropping a request) while the token is being fetched.
      await expect(client.poll({ userId: U }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AiccError', kind: 'aborted' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
