/**
 * createAiccClient: one method per documented CC-Messaging API, named after it. Methods take
 * friendly inputs, validate them, put the exact wire fields on the wire and hand back parsed,
 * typed answers. Business failures (non-zero codes) reject with an AiccError of kind 'business'.
 * The APIs a chat does not need to start (server-side tokens, files, leave-message, phrases,
 * satisfaction) are in lazyApis.ts, loaded on their first call.
 */
import { AiccError, aiccError, validationError } from './errors.js';
import { binarySize } from './bytes.js';
import type { LazyApiName, LazyClient, LazyKit } from './lazyApis.js';
import { parseDownlink, parseHistoryMessage, parseQueueStatus } from './parse.js';
import {
  CALLER_PATTERN,
  CHANNEL,
  CONTROL_TYPES,
  DOWNLOAD_FILE_TYPES,
  HEADERS,
  LIMITS,
  ResultCode,
  UPLINK_MEDIA_TYPES,
  UPLOAD_FILE_TYPES,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_UPLOAD_MAX_BYTES,
  type ApiName,
  type PollQuery,
  type PollResponse,
  type QueryHistoryRequest,
  type QueryHistoryResponse,
  type QueryQueueInfoResponse,
  type ResultResponse,
  type SendMessageRequest,
} from './protocol.js';
import { asAiccError, createTransport, type Transport } from './transport.js';
import type { AiccClient, AiccClientOptions, CallOptions, ResultInfo, SendInput } from './types.js';
import {
  CALLER_RULE,
  invalid,
  requireCount,
  requireInt,
  requireMax,
  requireOneOf,
  requireText,
  requireTextBytes,
  requireUserId,
} from './validate.js';


/** Rejects with a business error unless the code says success. */
function expectSuccess(api: ApiName, code: string | undefined, desc: string | undefined, what: string = api): ResultInfo {
  if (code === ResultCode.SUCCESS) return { resultCode: code, resultDesc: desc ?? '' };
  throw new AiccError({ kind: 'business', api, message: `${what} failed: resultCode ${code ?? '(none)'}${desc ? ` (${desc})` : ''}`, resultCode: code, resultDesc: desc });
}

/** Wire arrays may come as null or hold junk: objects only. */
const objects = <T>(list: T[] | null | undefined): T[] => (Array.isArray(list) ? list.filter((item: unknown) => item && typeof item === 'object') : []);

/** A poll's answer: its messages, once its resultCode says success. */
function pollMessages(answer: PollResponse) {
  expectSuccess('poll', answer.resultCode, answer.resultDesc);
  // An empty window may come as [], null or no field at all (docs/protocol.md#64-empty-poll).
  return objects(answer.downlinkMessages).map(parseDownlink);
}

/** What lazyApis.ts uses from the rest of the client: handed over, not imported (see there). */
const LAZY_KIT: LazyKit = {
  expectSuccess,
  aiccError,
  binarySize,
  invalid,
  requireText,
  requireMax,
  requireUserId,
  requireTextBytes,
  requireInt,
  requireOneOf,
  CALLER_RULE,
  CALLER_PATTERN,
  CHANNEL,
  DEFAULT_UPLOAD_MAX_BYTES,
  DOWNLOAD_FILE_TYPES,
  HEADERS,
  LIMITS,
  UPLOAD_FILE_TYPES,
};

type LazyApis = (typeof import('./lazyApis.js'))['lazyApis'];
/** lazyApis.ts once loaded (every client shares it). */
let lazyModule: LazyApis | undefined;
let loadingLazy: Promise<LazyApis> | undefined;

/**
 * Loads lazyApis.ts (once). A chunk that cannot load (an offline page) rejects the call with a
 * `network` AiccError of its API, and the next call tries again.
 */
function loadLazyApis(api: LazyApiName): Promise<LazyApis> {
  loadingLazy ??= import('./lazyApis.js').then(
    (loaded) => (lazyModule = loaded.lazyApis),
    (error: unknown) => {
      loadingLazy = undefined;
      throw error;
    },
  );
  return loadingLazy.catch((error: unknown) => {
    throw asAiccError(error, api);
  });
}

/** Each client's transport, for `client.http`. */
const transportOf = new WeakMap<object, Transport>();

/**
 * `client.http` is a getter on the clients' shared prototype, not on each client: V8 makes an
 * object literal that holds an accessor in dictionary mode, ~0.8 KB more heap per client than
 * the same methods with fast properties (docs/performance.md, memory).
 */
const clientPrototype: Pick<AiccClient, 'http'> = Object.defineProperty({} as Pick<AiccClient, 'http'>, 'http', {
  get(this: object) {
    return transportOf.get(this)!.axiosInstance();
  },
});

export function createAiccClient(options: AiccClientOptions): AiccClient {
  if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
    throw validationError('client', 'baseUrl', 'must be an http(s) URL');
  }
  const transport = createTransport(options);
  const request = transport.request;
  /** This client's side of a lazyApis.ts call. */
  const lazyClient: LazyClient = { request, options };
  /** The last poll's query (never changed once made: see transport.ts, `lastGet`). */
  let pollQuery: PollQuery | undefined;

  /**
   * Calls the method `api` of lazyApis.ts, loaded on its first call. The methods below call it
   * from arrows of this scope, not from a closure made per method: a scope of its own per method
   * cost ~330 B of heap per client (2 560 against 2 230 B per idle client, Node 20).
   */
  function callLazy<K extends LazyApiName>(api: K, input: Parameters<AiccClient[K]>[0], call?: CallOptions): ReturnType<AiccClient[K]> {
    type Method = (kit: LazyKit, client: LazyClient, input: unknown, call?: CallOptions) => ReturnType<AiccClient[K]>;
    if (lazyModule) return (lazyModule[api] as Method)(LAZY_KIT, lazyClient, input, call);
    return loadLazyApis(api).then((apis): unknown => (apis[api] as Method)(LAZY_KIT, lazyClient, input, call)) as ReturnType<AiccClient[K]>;
  }

  /** Sends, then checks resultCode; hands back the whole answer. */
  async function checked<T extends ResultResponse>(api: ApiName, payload: object, call?: CallOptions): Promise<T> {
    const answer = await request<T>(api, payload, call);
    expectSuccess(api, answer.resultCode, answer.resultDesc);
    return answer;
  }

  /** Sends; the result codes are the answer. */
  async function result(api: ApiName, payload: object, call?: CallOptions, what?: string): Promise<ResultInfo> {
    const answer = await request<ResultResponse>(api, payload, call);
    return expectSuccess(api, answer.resultCode, answer.resultDesc, what);
  }

  async function sendVia(api: 'send' | 'sendAsync', input: SendInput, call?: CallOptions): Promise<ResultInfo> {
    const controlType = requireOneOf(api, 'controlType', input?.controlType, CONTROL_TYPES);
    const mediaType = requireOneOf(api, 'mediaType', input.mediaType ?? 'TEXT', UPLINK_MEDIA_TYPES);
    const body: SendMessageRequest = {
      channel: CHANNEL,
      controlType,
      from: requireUserId(api, 'from', input.from),
      to: requireText(api, 'to', input.to),
      mediaType,
      sourceType: 'CUSTOMER',
      timestamp: String(input.timestamp ?? Date.now()),
      content: input.content ?? '',
    };
    if (controlType === 'CHAT') {
      requireText(api, 'content', input.content);
      if (mediaType === 'TEXT') requireTextBytes(api, 'content', body.content!);
    }
    for (const key of ['senderNickname', 'senderAvatar', 'userAgent'] as const) {
      if (input[key] !== undefined) (body as unknown as Record<string, unknown>)[key] = input[key];
    }
    return result(api, body, call, `${api} ${controlType}`);
  }

  // The methods no chat needs to start are in lazyApis.ts, loaded on first use (`callLazy`).
  const methods: Omit<AiccClient, 'http'> = {
    tokenByAkSk: (input, call) => callLazy('tokenByAkSk', input, call),

    applyToken: (input, call) => callLazy('applyToken', input, call),

    authenticate(call) {
      return transport.authenticate(call?.signal);
    },

    async queryHistoryChatMessage(input, call) {
      const api = 'queryHistoryChatMessage';
      const body: QueryHistoryRequest = {
        channelId: requireText(api, 'channelId', input?.channelId),
        userId: requireUserId(api, 'userId', input.userId),
        limit: requireCount(api, 'limit', input.limit ?? DEFAULT_HISTORY_LIMIT),
        offset: requireCount(api, 'offset', input.offset ?? 0),
        channel: CHANNEL,
      };
      for (const key of ['startTime', 'endTime'] as const) {
        if (input[key] !== undefined) body[key] = requireCount(api, key, input[key]);
      }
      const answer = await checked<QueryHistoryResponse>(api, body, call);
      return objects(answer.messageList).map(parseHistoryMessage);
    },

    send: (input, call) => sendVia('send', input, call),
    sendAsync: (input, call) => sendVia('sendAsync', input, call),

    doLeaveMessage: (input, call) => callLazy('doLeaveMessage', input, call),

    // Not an async method: its suspended frame, and `checked`'s, would live for the whole
    // long-poll window, and what lives that long is promoted and swept by the major GC
    // (docs/performance.md, "What the profiles showed"). A plain `then` keeps nothing of its own.
    poll(input, call) {
      try {
        const receiverId = requireUserId('poll', 'userId', input?.userId);
        const isNeedRead = input.isNeedRead ? 'true' : undefined;
        // The same query as last time is the same object, so the transport reuses its URL.
        if (pollQuery?.receiverId !== receiverId || pollQuery.isNeedRead !== isNeedRead) {
          pollQuery = { receiverId, channel: CHANNEL };
          if (isNeedRead) pollQuery.isNeedRead = isNeedRead;
        }
      } catch (error) {
        return Promise.reject(error);
      }
      return request<PollResponse>('poll', pollQuery, call).then(pollMessages);
    },

    downloadFileStream: (input, call) => callLazy('downloadFileStream', input, call),

    async queryQueueInfo(input, call) {
      const api = 'queryQueueInfo';
      const body = {
        userId: requireUserId(api, 'userId', input?.userId, LIMITS.applyTokenUserIdMaxLength),
        channelConfigId: requireText(api, 'channelConfigId', input.channelConfigId),
        channel: CHANNEL,
      };
      const answer = await request<QueryQueueInfoResponse>(api, body, call);
      // Null only for real errors: "0" always parses, so expectSuccess throws.
      return parseQueueStatus(answer) ?? (expectSuccess(api, answer.resultCode, answer.resultDesc) as never);
    },

    uploadFileStream: (input, call) => callLazy('uploadFileStream', input, call),

    queryPhraseByKeyword: (input, call) => callLazy('queryPhraseByKeyword', input, call),

    getSatisfactionSurveyMode: (input, call) => callLazy('getSatisfactionSurveyMode', input, call),


    saveSatisfaction: (input, call) => callLazy('saveSatisfaction', input, call),

    feedbackSatisfaction: (input, call) => callLazy('feedbackSatisfaction', input, call),
  };
  const client = Object.assign(Object.create(clientPrototype) as Pick<AiccClient, 'http'>, methods);
  transportOf.set(client, transport);
  return client;
}
