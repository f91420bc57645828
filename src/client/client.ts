/**
 * createAiccClient: one method per documented CC-Messaging API, named after it. Methods take
 * friendly inputs, validate them, put the exact wire fields on the wire and hand back parsed,
 * typed answers. Business failures (non-zero codes) reject with an AiccError of kind 'business'.
 */
import { AiccError, validationError } from './errors.js';
import { base64DecodedLength, decodeBase64, encodeBase64, isBase64, toBytes } from './base64.js';
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
  type ApiName,
  type ApplyTokenResponse,
  type DownloadFileRequest,
  type DownloadFileResponse,
  type FeedbackSatisfactionRequest,
  type PollResponse,
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
import { createTransport, type RequestSpec } from './transport.js';
import type { AiccClient, AiccClientOptions, CallOptions, ResultInfo, SendInput } from './types.js';
import {
  requireCount,
  requireLocale,
  requireMaxChars,
  requireText,
  requireTextBytes,
  requireUserId,
} from './validate.js';

const DEFAULT_HISTORY_LIMIT = 50;
const DEFAULT_UPLOAD_MAX_BYTES = 2 * 1024 * 1024;

function callSpec(options: CallOptions | undefined): Pick<RequestSpec, 'signal' | 'timeoutMs'> {
  return { signal: options?.signal, timeoutMs: options?.timeoutMs };
}

/** Rejects with a business error unless the code says success. */
function expectSuccess(api: ApiName, code: string | undefined, desc: string | undefined, what: string = api): ResultInfo {
  if (code === ResultCode.SUCCESS) return { resultCode: code, resultDesc: desc ?? '' };
  const info = { kind: 'business' as const, api, message: `${what} failed: resultCode ${code ?? '(none)'}${desc ? ` (${desc})` : ''}` };
  throw new AiccError({ ...info, ...(code !== undefined ? { resultCode: code } : {}), ...(desc !== undefined ? { resultDesc: desc } : {}) });
}

export function createAiccClient(options: AiccClientOptions): AiccClient {
  if (typeof options?.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
    throw validationError('client', 'baseUrl', 'baseUrl must be an http(s) URL');
  }
  const transport = createTransport(options);
  const downloadMaxBytes = options.downloadMaxBytes ?? LIMITS.downloadMaxBytes;
  const uploadMaxBytes = options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES;

  function buildSendRequest(api: 'send' | 'sendAsync', input: SendInput): SendMessageRequest {
    if (!(CONTROL_TYPES as readonly string[]).includes(input?.controlType)) {
      throw validationError(api, 'controlType', `controlType must be one of ${CONTROL_TYPES.join(', ')}`);
    }
    const mediaType = input.mediaType ?? 'TEXT';
    if (!(UPLINK_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw validationError(api, 'mediaType', `mediaType must be one of ${UPLINK_MEDIA_TYPES.join(', ')}`);
    }
    const request: SendMessageRequest = {
      channel: CHANNEL,
      controlType: input.controlType,
      from: requireUserId(api, 'from', input.from),
      to: requireText(api, 'to', input.to),
      mediaType,
      sourceType: 'CUSTOMER',
      timestamp: String(input.timestamp ?? Date.now()),
      content: input.content ?? '',
    };
    if (input.controlType === 'CHAT') {
      requireText(api, 'content', input.content);
      if (mediaType === 'TEXT') requireTextBytes(api, 'content', input.content ?? '');
    }
    if (input.senderNickname !== undefined) request.senderNickname = input.senderNickname;
    if (input.senderAvatar !== undefined) request.senderAvatar = input.senderAvatar;
    if (input.userAgent !== undefined) request.userAgent = input.userAgent;
    return request;
  }

  async function sendVia(api: 'send' | 'sendAsync', input: SendInput, callOptions?: CallOptions): Promise<ResultInfo> {
    const body = buildSendRequest(api, input);
    const answer = await transport.request<ResultResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
    return expectSuccess(api, answer.resultCode, answer.resultDesc, `${api} ${body.controlType}`);
  }

  return {
    http: transport.http,

    async tokenByAkSk(input, callOptions) {
      const appKey = requireText('tokenByAkSk', 'appKey', input?.appKey);
      const appSecret = requireText('tokenByAkSk', 'appSecret', input?.appSecret);
      const expires = input.expiresInSeconds ?? LIMITS.accessTokenDefaultSeconds;
      if (!Number.isInteger(expires) || expires < 1 || expires > LIMITS.accessTokenMaxSeconds) {
        throw validationError('tokenByAkSk', 'expiresInSeconds', `expiresInSeconds must be an integer in 1..${LIMITS.accessTokenMaxSeconds}`);
      }
      const requestedAt = Date.now();
      const answer = await transport.request<TokenByAkSkResponse>({
        api: 'tokenByAkSk',
        body: { app_key: appKey, app_secret: appSecret },
        headers: { [HEADERS.tokenExpire]: String(expires) },
        auth: 'none',
        ...callSpec(callOptions),
      });
      if (typeof answer.AccessToken !== 'string' || answer.AccessToken === '') {
        throw new AiccError({ kind: 'protocol', api: 'tokenByAkSk', message: 'tokenByAkSk: the answer holds no AccessToken' });
      }
      const lifetimeSeconds = Number(answer.Expires) || expires;
      const createdSeconds = Number(answer.CreateTime);
      return {
        accessToken: answer.AccessToken,
        appKey: answer.AppKey ?? appKey,
        scope: answer.Scope ?? '',
        createdAt: Number.isFinite(createdSeconds) && createdSeconds > 0 ? createdSeconds * 1000 : requestedAt,
        // Local clock, so a skewed server clock cannot make us use an expired token.
        expiresAt: requestedAt + lifetimeSeconds * 1000,
      };
    },

    async applyToken(input, callOptions) {
      const body = {
        userId: requireUserId('applyToken', 'userId', input?.userId, LIMITS.applyTokenUserIdMaxLength),
        userName: requireText('applyToken', 'userName', input.userName),
        channelId: requireText('applyToken', 'channelId', input.channelId),
        locale: requireLocale('applyToken', 'locale', input.locale),
      };
      const answer = await transport.request<ApplyTokenResponse>({ api: 'applyToken', body, auth: 'gateway', ...callSpec(callOptions) });
      // Huawei's demo ignores resultCode; an answer with a token and no code counts as success.
      if (answer.resultCode !== undefined) expectSuccess('applyToken', answer.resultCode, answer.resultDesc);
      if (typeof answer.token !== 'string' || answer.token === '') {
        throw new AiccError({ kind: 'protocol', api: 'applyToken', message: 'applyToken: the answer holds no token' });
      }
      return { token: answer.token };
    },

    authenticate(callOptions) {
      return transport.authenticate(callOptions?.signal);
    },

    async queryHistoryChatMessage(input, callOptions) {
      const api = 'queryHistoryChatMessage';
      const body: Record<string, string> = {
        channelId: requireText(api, 'channelId', input?.channelId),
        userId: requireUserId(api, 'userId', input.userId),
        limit: String(requireCount(api, 'limit', input.limit ?? DEFAULT_HISTORY_LIMIT)),
        offset: String(requireCount(api, 'offset', input.offset ?? 0)),
        channel: CHANNEL,
      };
      if (input.startTime !== undefined) body.startTime = String(requireCount(api, 'startTime', input.startTime));
      if (input.endTime !== undefined) body.endTime = String(requireCount(api, 'endTime', input.endTime));
      const answer = await transport.request<QueryHistoryResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      expectSuccess(api, answer.resultCode, answer.resultDesc);
      const list: unknown = answer.messageList;
      return (Array.isArray(list) ? list : []).filter((m) => m && typeof m === 'object').map(parseHistoryMessage);
    },

    send: (input, callOptions) => sendVia('send', input, callOptions),
    sendAsync: (input, callOptions) => sendVia('sendAsync', input, callOptions),

    async doLeaveMessage(input, callOptions) {
      const api = 'doLeaveMessage';
      const body = {
        callId: requireUserId(api, 'userId', input?.userId),
        caller: requireText(api, 'caller', input.caller),
        leaveMessage: requireText(api, 'message', input.message),
        channel: CHANNEL,
      };
      if (!CALLER_PATTERN.test(body.caller.trim())) {
        throw validationError(api, 'caller', 'caller must be a phone number (digits, spaces, dashes, optional leading +)');
      }
      const answer = await transport.request<ResultResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      return expectSuccess(api, answer.resultCode, answer.resultDesc);
    },

    async poll(input, callOptions) {
      const query: Record<string, string> = { receiverId: requireUserId('poll', 'userId', input?.userId), channel: CHANNEL };
      if (input.isNeedRead) query.isNeedRead = 'true';
      const answer = await transport.request<PollResponse>({ api: 'poll', method: 'GET', query, auth: 'session', ...callSpec(callOptions) });
      expectSuccess('poll', answer.resultCode, answer.resultDesc);
      // An empty window may come as [], null or no field at all (aicc-api.md §6.4).
      const messages = Array.isArray(answer.downlinkMessages) ? answer.downlinkMessages : [];
      return messages.filter((m) => m && typeof m === 'object').map(parseDownlink);
    },

    async downloadFileStream(file, callOptions) {
      const api = 'downloadFileStream';
      const fileType = requireText(api, 'fileType', file?.fileType).toLowerCase();
      if (!(DOWNLOAD_FILE_TYPES as readonly string[]).includes(fileType)) {
        throw validationError(api, 'fileType', `fileType must be one of ${DOWNLOAD_FILE_TYPES.join(', ')}`);
      }
      const body: DownloadFileRequest = { fileId: requireText(api, 'fileId', file.fileId), channel: CHANNEL, fileType };
      if (file.multiMedia) body.multiMedia = 'multiMedia';
      const answer = await transport.request<DownloadFileResponse>({
        api,
        body,
        auth: 'session',
        // Base64 inflates by 4/3; a little slack for the JSON around it.
        maxResponseBytes: Math.ceil((downloadMaxBytes * 4) / 3) + 64 * 1024,
        ...callSpec(callOptions),
      });
      // The documented example holds only fileStream: a missing code with a stream is success.
      if (answer.resultCode !== undefined && answer.resultCode !== ResultCode.SUCCESS) {
        expectSuccess(api, answer.resultCode, answer.resultDesc);
      }
      const stream = answer.fileStream;
      if (typeof stream !== 'string' || !isBase64(stream)) {
        throw new AiccError({ kind: 'protocol', api, message: `${api}: the answer holds no valid Base64 fileStream` });
      }
      if (base64DecodedLength(stream) > downloadMaxBytes) {
        throw new AiccError({ kind: 'protocol', api, message: `${api}: the file is larger than the ${downloadMaxBytes}-byte download cap` });
      }
      return { bytes: decodeBase64(stream), fileType, fileUrl: typeof answer.fileUrl === 'string' ? answer.fileUrl : null };
    },

    async queryQueueInfo(input, callOptions) {
      const api = 'queryQueueInfo';
      const body = {
        userId: requireUserId(api, 'userId', input?.userId, LIMITS.applyTokenUserIdMaxLength),
        channelConfigId: requireText(api, 'channelConfigId', input.channelConfigId),
        channel: CHANNEL,
      };
      const answer = await transport.request<QueryQueueInfoResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      const status = parseQueueStatus(answer);
      if (status) return status;
      expectSuccess(api, answer.resultCode, answer.resultDesc);
      throw new Error('unreachable'); // expectSuccess threw: resultCode "0" always parses
    },

    async uploadFileStream(input, callOptions) {
      const api = 'uploadFileStream';
      let fileType = requireText(api, 'fileType', input?.fileType).toLowerCase();
      if (fileType === 'jpeg') fileType = 'jpg';
      if (!(UPLOAD_FILE_TYPES as readonly string[]).includes(fileType)) {
        throw validationError(api, 'fileType', `fileType must be one of ${UPLOAD_FILE_TYPES.join(', ')} or jpeg`);
      }
      const data = input.data as unknown;
      if (!(data instanceof Uint8Array || data instanceof ArrayBuffer || (typeof Blob !== 'undefined' && data instanceof Blob))) {
        throw validationError(api, 'data', 'data must be a Uint8Array, ArrayBuffer or Blob');
      }
      const bytes = await toBytes(input.data);
      if (bytes.length === 0) throw validationError(api, 'data', 'the file is empty');
      if (bytes.length > uploadMaxBytes) {
        throw validationError(api, 'data', `the file is ${bytes.length} bytes; the limit is ${uploadMaxBytes}`);
      }
      const body = { fileType, fileStream: encodeBase64(bytes), channel: CHANNEL };
      const answer = await transport.request<UploadFileResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      // uploadFileStream answers with returnCode, not resultCode.
      expectSuccess(api, answer.returnCode, answer.resultDesc);
      if (typeof answer.objectKey !== 'string' || answer.objectKey === '') {
        throw new AiccError({ kind: 'protocol', api, message: `${api}: the answer holds no objectKey` });
      }
      return { objectKey: answer.objectKey };
    },

    async queryPhraseByKeyword(input, callOptions) {
      const api = 'queryPhraseByKeyword';
      const body = {
        strContent: requireTextBytes(api, 'text', requireText(api, 'text', input?.text)),
        locale: requireLocale(api, 'locale', input.locale),
        channel: CHANNEL,
      };
      const answer = await transport.request<QueryPhraseResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      expectSuccess(api, answer.resultCode, answer.resultDesc);
      const question = answer.question;
      const list = Array.isArray(question) ? question : typeof question === 'string' && question !== '' ? [question] : [];
      return list.map(String).slice(0, LIMITS.phraseMaxResults);
    },

    async getSatisfactionSurveyMode(input, callOptions) {
      const api = 'getSatisfactionSurveyMode';
      const body = input?.language ? { language: input.language } : {};
      const answer = await transport.request<SurveyModeResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      expectSuccess(api, answer.resultCode, answer.resultDesc);
      return parseSurveyMode(answer);
    },

    async saveSatisfaction(input, callOptions) {
      const api = 'saveSatisfaction';
      const comment = requireMaxChars(api, 'comment', input?.comment ?? '', LIMITS.commentMaxChars);
      // Sent flat, as the documented example does (aicc-api.md §4.12).
      const body: SaveSatisfactionRequest = {
        channel: CHANNEL,
        userId: requireUserId(api, 'userId', input.userId),
        evaluation: requireText(api, 'evaluation', input.evaluation),
        comment,
        channelConfigId: requireText(api, 'channelConfigId', input.channelConfigId),
      };
      if (input.npsScore !== undefined) {
        if (!Number.isInteger(input.npsScore) || input.npsScore < 0 || input.npsScore > 10) {
          throw validationError(api, 'npsScore', 'npsScore must be an integer in 0..10');
        }
        body.npsScore = String(input.npsScore);
      }
      if (input.fcr !== undefined) body.fcrValue = input.fcr ? '1' : '2';
      const answer = await transport.request<SaveSatisfactionResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      // Tables say resultCode, the example answers returnCode (aicc-api.md §4.12): accept either.
      return expectSuccess(api, answer.resultCode ?? answer.returnCode, answer.resultDesc);
    },

    async feedbackSatisfaction(input, callOptions) {
      const api = 'feedbackSatisfaction';
      if (typeof input?.satisfied !== 'boolean') throw validationError(api, 'satisfied', 'satisfied must be true or false');
      const body: FeedbackSatisfactionRequest = {
        feedback: input.satisfied ? 1 : 0,
        from: requireText(api, 'from', input.from),
        interIdx: requireText(api, 'interIdx', input.interIdx),
      };
      const content = input.content?.trim() ?? '';
      if (!input.satisfied && content === '') {
        throw validationError(api, 'content', 'content is required when the customer is not satisfied');
      }
      if (content !== '') body.feedbackContent = requireMaxChars(api, 'content', content, LIMITS.feedbackContentMaxChars);
      const answer = await transport.request<ResultResponse>({ api, body, auth: 'session', ...callSpec(callOptions) });
      return expectSuccess(api, answer.resultCode, answer.resultDesc);
    },
  };
}
