/**
 * createAiccClient: one method per documented CC-Messaging API, named after it. Methods take
 * friendly inputs, validate them, put the exact wire fields on the wire and hand back parsed,
 * typed answers. Business failures (non-zero codes) reject with an AiccError of kind 'business'.
 */
import { AiccError, aiccError, validationError } from './errors.js';
import { base64DecodedLength, binarySize, decodeBase64, encodeBase64, isBase64, toBytes } from './base64.js';
import { parseDownlink, parseHistoryMessage, parseQueueStatus, parseSurveyMode } from './parse.js';
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
  type ApplyTokenResponse,
  type DownloadFileRequest,
  type DownloadFileResponse,
  type FeedbackSatisfactionRequest,
  type PollQuery,
  type PollResponse,
  type QueryHistoryRequest,
  type QueryHistoryResponse,
  type QueryPhraseResponse,
  type QueryQueueInfoResponse,
  type ResultResponse,
  type SaveSatisfactionRequest,
  type SaveSatisfactionResponse,
  type SendMessageRequest,
  type SurveyModeResponse,
  type TokenByAkSkResponse,
  type UploadFileResponse,
} from './protocol.js';
import { uploadProgress } from './progress.js';
import { createTransport, type Transport } from './transport.js';
import type { AiccClient, AiccClientOptions, CallOptions, ResultInfo, SendInput } from './types.js';
import {
  CALLER_RULE,
  invalid,
  requireCount,
  requireInt,
  requireLocale,
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

/** The answer lacks what it exists for. */
const missing = (api: ApiName, what: string) => aiccError('protocol', api, `the answer holds no ${what}`);

/** Wire arrays may come as null or hold junk: objects only. */
const objects = <T>(list: T[] | null | undefined): T[] => (Array.isArray(list) ? list.filter((item: unknown) => item && typeof item === 'object') : []);

/** A poll's answer: its messages, once its resultCode says success. */
function pollMessages(answer: PollResponse) {
  expectSuccess('poll', answer.resultCode, answer.resultDesc);
  // An empty window may come as [], null or no field at all (docs/protocol.md#64-empty-poll).
  return objects(answer.downlinkMessages).map(parseDownlink);
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
  const downloadMaxBytes = options.downloadMaxBytes ?? LIMITS.downloadMaxBytes;
  const uploadMaxBytes = options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES;
  /** The last poll's query (never changed once made: see transport.ts, `lastGet`). */
  let pollQuery: PollQuery | undefined;

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

  const methods: Omit<AiccClient, 'http'> = {
    async tokenByAkSk(input, call) {
      const api = 'tokenByAkSk';
      const appKey = requireText(api, 'appKey', input?.appKey);
      const body = { app_key: appKey, app_secret: requireText(api, 'appSecret', input.appSecret) };
      const expires = requireInt(api, 'expiresInSeconds', input.expiresInSeconds ?? LIMITS.accessTokenDefaultSeconds, 1, LIMITS.accessTokenMaxSeconds);
      const requestedAt = Date.now();
      const answer = await request<TokenByAkSkResponse>(api, body, call, { headers: { [HEADERS.tokenExpire]: String(expires) } });
      if (typeof answer.AccessToken !== 'string' || answer.AccessToken === '') throw missing(api, 'AccessToken');
      const createdSeconds = Number(answer.CreateTime);
      return {
        accessToken: answer.AccessToken,
        appKey: answer.AppKey ?? appKey,
        scope: answer.Scope ?? '',
        createdAt: Number.isFinite(createdSeconds) && createdSeconds > 0 ? createdSeconds * 1000 : requestedAt,
        // Local clock, so a skewed server clock cannot make us use an expired token.
        expiresAt: requestedAt + (Number(answer.Expires) || expires) * 1000,
      };
    },

    async applyToken(input, call) {
      const api = 'applyToken';
      const body = {
        userId: requireUserId(api, 'userId', input?.userId, LIMITS.applyTokenUserIdMaxLength),
        userName: requireText(api, 'userName', input.userName),
        channelId: requireText(api, 'channelId', input.channelId),
        locale: requireLocale(api, 'locale', input.locale),
      };
      const answer = await request<ApplyTokenResponse>(api, body, call);
      // Huawei's demo ignores resultCode; an answer with a token and no code counts as success.
      if (answer.resultCode !== undefined) expectSuccess(api, answer.resultCode, answer.resultDesc);
      if (typeof answer.token !== 'string' || answer.token === '') throw missing(api, 'token');
      return { token: answer.token };
    },

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

    async doLeaveMessage(input, call) {
      const api = 'doLeaveMessage';
      const body = {
        callId: requireUserId(api, 'userId', input?.userId),
        caller: requireText(api, 'caller', input.caller),
        leaveMessage: requireText(api, 'message', input.message),
        channel: CHANNEL,
      };
      if (!CALLER_PATTERN.test(body.caller.trim())) throw invalid(api, 'caller', CALLER_RULE);
      return result(api, body, call);
    },

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

    async downloadFileStream(file, call) {
      const api = 'downloadFileStream';
      const fileType = requireOneOf(api, 'fileType', requireText(api, 'fileType', file?.fileType).toLowerCase(), DOWNLOAD_FILE_TYPES);
      const body: DownloadFileRequest = { fileId: requireText(api, 'fileId', file.fileId), channel: CHANNEL, fileType };
      if (file.multiMedia) body.multiMedia = 'multiMedia';
      // Base64 inflates by 4/3; a little slack for the JSON around it.
      const answer = await request<DownloadFileResponse>(api, body, call, { maxResponseBytes: Math.ceil((downloadMaxBytes * 4) / 3) + 64 * 1024 });
      // The documented example holds only fileStream: a missing code with a stream is success.
      if (answer.resultCode !== undefined) expectSuccess(api, answer.resultCode, answer.resultDesc);
      const stream = answer.fileStream;
      if (typeof stream !== 'string' || !isBase64(stream)) throw missing(api, 'valid Base64 fileStream');
      if (base64DecodedLength(stream) > downloadMaxBytes) {
        throw aiccError('protocol', api, `the file is larger than the ${downloadMaxBytes}-byte download cap`);
      }
      return { bytes: decodeBase64(stream), fileType, fileUrl: typeof answer.fileUrl === 'string' ? answer.fileUrl : null };
    },

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

    async uploadFileStream(input, call) {
      const api = 'uploadFileStream';
      let fileType = requireText(api, 'fileType', input?.fileType).toLowerCase();
      if (fileType === 'jpeg') fileType = 'jpg';
      requireOneOf(api, 'fileType', fileType, UPLOAD_FILE_TYPES, ' or jpeg');
      if (binarySize(input.data) === null) throw invalid(api, 'data', 'be a Uint8Array, ArrayBuffer or Blob');
      const bytes = await toBytes(input.data);
      if (bytes.length === 0) throw invalid(api, 'data', 'not be empty');
      requireMax(api, 'data', '', uploadMaxBytes, bytes.length, 'bytes');
      const onProgress = call?.onProgress;
      const extra = onProgress ? { onUploadProgress: uploadProgress(bytes.length, onProgress) } : undefined;
      const answer = await request<UploadFileResponse>(api, { fileType, fileStream: encodeBase64(bytes), channel: CHANNEL }, call, extra);
      // uploadFileStream answers with returnCode, not resultCode.
      expectSuccess(api, answer.returnCode, answer.resultDesc);
      if (typeof answer.objectKey !== 'string' || answer.objectKey === '') throw missing(api, 'objectKey');
      return { objectKey: answer.objectKey };
    },

    async queryPhraseByKeyword(input, call) {
      const api = 'queryPhraseByKeyword';
      const body = {
        strContent: requireTextBytes(api, 'text', requireText(api, 'text', input?.text)),
        locale: requireLocale(api, 'locale', input.locale),
        channel: CHANNEL,
      };
      const { question } = await checked<QueryPhraseResponse>(api, body, call);
      const list = Array.isArray(question) ? question : typeof question === 'string' && question !== '' ? [question] : [];
      return list.map(String).slice(0, LIMITS.phraseMaxResults);
    },

    async getSatisfactionSurveyMode(input, call) {
      const api = 'getSatisfactionSurveyMode';
      return parseSurveyMode(await checked<SurveyModeResponse>(api, input?.language ? { language: input.language } : {}, call));
    },

    async saveSatisfaction(input, call) {
      const api = 'saveSatisfaction';
      const comment = requireMax(api, 'comment', input?.comment ?? '', LIMITS.commentMaxChars);
      // Sent flat, as the documented example does (docs/protocol.md#412-savesatisfaction).
      const body: SaveSatisfactionRequest = {
        channel: CHANNEL,
        userId: requireUserId(api, 'userId', input.userId),
        evaluation: requireText(api, 'evaluation', input.evaluation),
        comment,
        channelConfigId: requireText(api, 'channelConfigId', input.channelConfigId),
      };
      if (input.npsScore !== undefined) body.npsScore = String(requireInt(api, 'npsScore', input.npsScore, 0, 10));
      if (input.fcr !== undefined) body.fcrValue = input.fcr ? '1' : '2';
      const answer = await request<SaveSatisfactionResponse>(api, body, call);
      // Tables say resultCode, the example answers returnCode (docs/protocol.md#68-savesatisfaction-shape): accept either.
      return expectSuccess(api, answer.resultCode ?? answer.returnCode, answer.resultDesc);
    },

    async feedbackSatisfaction(input, call) {
      const api = 'feedbackSatisfaction';
      const satisfied = input?.satisfied;
      if (typeof satisfied !== 'boolean') throw invalid(api, 'satisfied', 'be true or false');
      const body: FeedbackSatisfactionRequest = {
        feedback: satisfied ? 1 : 0,
        from: requireText(api, 'from', input.from),
        interIdx: requireText(api, 'interIdx', input.interIdx),
      };
      const content = input.content?.trim() ?? '';
      if (!satisfied && content === '') throw invalid(api, 'content', 'be given when the customer is not satisfied');
      if (content !== '') body.feedbackContent = requireMax(api, 'content', content, LIMITS.feedbackContentMaxChars);
      return result(api, body, call);
    },
  };
  const client = Object.assign(Object.create(clientPrototype) as Pick<AiccClient, 'http'>, methods);
  transportOf.set(client, transport);
  return client;
}
