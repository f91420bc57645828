/**
 * The client's APIs a page does not need to start a chat: the server-side token calls, file
 * transfer, leave-message, phrase suggestions and the satisfaction survey. client.ts loads this
 * module with a dynamic `import()` on a client's first call of one of them, so a bundler puts it
 * in a chunk of its own that only pages using them load (docs/performance.md, section 5).
 *
 * It imports no code that the rest of the package uses: a bundler would move such a module into
 * a shared chunk that loads up front anyway, in a gzip stream of its own, which costs more than
 * the split saves. What it needs from the client comes in as `LazyKit`; what only it needs
 * (Base64, upload progress) it imports.
 */
import type {
  ApiName,
  ApplyTokenResponse,
  DownloadFileRequest,
  DownloadFileResponse,
  FeedbackSatisfactionRequest,
  QueryPhraseResponse,
  ResultResponse,
  SaveSatisfactionRequest,
  SaveSatisfactionResponse,
  SurveyModeResponse,
  TokenByAkSkResponse,
  UploadFileResponse,
} from './protocol.js';
import type { AiccClient, AiccClientOptions, CallOptions, ResultInfo, SurveyMode } from './types.js';
import type { Transport } from './transport.js';
import type * as validate from './validate.js';
import type * as protocol from './protocol.js';
import { base64DecodedLength, decodeBase64, encodeBase64, isBase64, toBytes } from './base64.js';
import { uploadProgress } from './progress.js';

/** What these APIs use from the rest of the client (client.ts hands it over, once for all clients). */
export interface LazyKit {
  expectSuccess(api: ApiName, code: string | undefined, desc: string | undefined): ResultInfo;
  aiccError: typeof import('./errors.js').aiccError;
  binarySize: typeof import('./bytes.js').binarySize;
  invalid: typeof validate.invalid;
  requireText: typeof validate.requireText;
  requireMax: typeof validate.requireMax;
  requireUserId: typeof validate.requireUserId;
  requireTextBytes: typeof validate.requireTextBytes;
  requireInt: typeof validate.requireInt;
  requireOneOf: typeof validate.requireOneOf;
  CALLER_RULE: typeof validate.CALLER_RULE;
  CALLER_PATTERN: typeof protocol.CALLER_PATTERN;
  CHANNEL: typeof protocol.CHANNEL;
  DEFAULT_UPLOAD_MAX_BYTES: typeof protocol.DEFAULT_UPLOAD_MAX_BYTES;
  DOWNLOAD_FILE_TYPES: typeof protocol.DOWNLOAD_FILE_TYPES;
  HEADERS: typeof protocol.HEADERS;
  LIMITS: typeof protocol.LIMITS;
  UPLOAD_FILE_TYPES: typeof protocol.UPLOAD_FILE_TYPES;
}

/** The APIs loaded here, by name. */
export type LazyApiName =
  | 'tokenByAkSk'
  | 'applyToken'
  | 'doLeaveMessage'
  | 'downloadFileStream'
  | 'uploadFileStream'
  | 'queryPhraseByKeyword'
  | 'getSatisfactionSurveyMode'
  | 'saveSatisfaction'
  | 'feedbackSatisfaction';

/** One client's side of a call: its request path and its options (the size caps). */
export interface LazyClient {
  request: Transport['request'];
  options: AiccClientOptions;
}

type Api<K extends LazyApiName> = (
  kit: LazyKit,
  client: LazyClient,
  input: Parameters<AiccClient[K]>[0],
  call?: Parameters<AiccClient[K]>[1],
) => ReturnType<AiccClient[K]>;

/** The answer lacks what it exists for. */
const missing = (kit: LazyKit, api: ApiName, what: string) => kit.aiccError('protocol', api, `the answer holds no ${what}`);

/** Sends; the result codes are the answer. */
async function result(kit: LazyKit, { request }: LazyClient, api: ApiName, payload: object, call?: CallOptions): Promise<ResultInfo> {
  const answer = await request<ResultResponse>(api, payload, call);
  return kit.expectSuccess(api, answer.resultCode, answer.resultDesc);
}

/**
 * `zh`, `zh_CN`, `en`, `en_US`: ISO 639 with an optional country, as the newest pages allow.
 * Here, not in validate.ts: only these APIs take a locale.
 */
function requireLocale(kit: LazyKit, api: ApiName, field: string, value: unknown): string {
  const locale = kit.requireText(api, field, value);
  if (!/^[a-z]{2}(?:[_-][A-Z]{2})?$/.test(locale)) throw kit.invalid(api, field, `look like "en" or "en_US" (got "${locale}")`);
  return locale.replace('-', '_');
}

/** The survey offer: levels and questions of a WEB survey, anything else none. */
function parseSurveyMode(body: SurveyModeResponse): SurveyMode {
  const survey = body.satisfactionSurvey;
  if (!survey || typeof survey !== 'object' || survey.surveyType !== 'WEB') return { surveyType: 'NO' };
  const levels = (Array.isArray(survey.satisfactionLevel) ? survey.satisfactionLevel : [])
    .filter((level) => level && typeof level.satisfactionLevelKey === 'string')
    .map((level) => ({ key: level.satisfactionLevelKey, label: String(level.satisfactionLevelDesc ?? level.satisfactionLevelKey) }));
  const questions = Array.isArray(survey.satisfactionQuestion) ? survey.satisfactionQuestion.map(String) : [];
  return { surveyType: 'WEB', levels, questions };
}

export const lazyApis: { [K in LazyApiName]: Api<K> } = {
  async tokenByAkSk(kit, { request }, input, call) {
    const api = 'tokenByAkSk';
    const { requireText, LIMITS } = kit;
    const appKey = requireText(api, 'appKey', input?.appKey);
    const body = { app_key: appKey, app_secret: requireText(api, 'appSecret', input.appSecret) };
    const expires = kit.requireInt(api, 'expiresInSeconds', input.expiresInSeconds ?? LIMITS.accessTokenDefaultSeconds, 1, LIMITS.accessTokenMaxSeconds);
    const requestedAt = Date.now();
    const answer = await request<TokenByAkSkResponse>(api, body, call, { headers: { [kit.HEADERS.tokenExpire]: String(expires) } });
    if (typeof answer.AccessToken !== 'string' || answer.AccessToken === '') throw missing(kit, api, 'AccessToken');
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

  async applyToken(kit, { request }, input, call) {
    const api = 'applyToken';
    const { requireText } = kit;
    const body = {
      userId: kit.requireUserId(api, 'userId', input?.userId, kit.LIMITS.applyTokenUserIdMaxLength),
      userName: requireText(api, 'userName', input.userName),
      channelId: requireText(api, 'channelId', input.channelId),
      locale: requireLocale(kit, api, 'locale', input.locale),
    };
    const answer = await request<ApplyTokenResponse>(api, body, call);
    // Huawei's demo ignores resultCode; an answer with a token and no code counts as success.
    if (answer.resultCode !== undefined) kit.expectSuccess(api, answer.resultCode, answer.resultDesc);
    if (typeof answer.token !== 'string' || answer.token === '') throw missing(kit, api, 'token');
    return { token: answer.token };
  },

  async doLeaveMessage(kit, client, input, call) {
    const api = 'doLeaveMessage';
    const { requireText } = kit;
    const body = {
      callId: kit.requireUserId(api, 'userId', input?.userId),
      caller: requireText(api, 'caller', input.caller),
      leaveMessage: requireText(api, 'message', input.message),
      channel: kit.CHANNEL,
    };
    if (!kit.CALLER_PATTERN.test(body.caller.trim())) throw kit.invalid(api, 'caller', kit.CALLER_RULE);
    return result(kit, client, api, body, call);
  },

  async downloadFileStream(kit, { request, options }, file, call) {
    const api = 'downloadFileStream';
    const { requireText } = kit;
    const downloadMaxBytes = options.downloadMaxBytes ?? kit.LIMITS.downloadMaxBytes;
    const fileType = kit.requireOneOf(api, 'fileType', requireText(api, 'fileType', file?.fileType).toLowerCase(), kit.DOWNLOAD_FILE_TYPES);
    const body: DownloadFileRequest = { fileId: requireText(api, 'fileId', file.fileId), channel: kit.CHANNEL, fileType };
    if (file.multiMedia) body.multiMedia = 'multiMedia';
    // Base64 inflates by 4/3; a little slack for the JSON around it.
    const answer = await request<DownloadFileResponse>(api, body, call, { maxResponseBytes: Math.ceil((downloadMaxBytes * 4) / 3) + 64 * 1024 });
    // The documented example holds only fileStream: a missing code with a stream is success.
    if (answer.resultCode !== undefined) kit.expectSuccess(api, answer.resultCode, answer.resultDesc);
    const stream = answer.fileStream;
    if (typeof stream !== 'string' || !isBase64(stream)) throw missing(kit, api, 'valid Base64 fileStream');
    if (base64DecodedLength(stream) > downloadMaxBytes) {
      throw kit.aiccError('protocol', api, `the file is larger than the ${downloadMaxBytes}-byte download cap`);
    }
    return { bytes: decodeBase64(stream), fileType, fileUrl: typeof answer.fileUrl === 'string' ? answer.fileUrl : null };
  },

  async uploadFileStream(kit, { request, options }, input, call) {
    const api = 'uploadFileStream';
    let fileType = kit.requireText(api, 'fileType', input?.fileType).toLowerCase();
    if (fileType === 'jpeg') fileType = 'jpg';
    kit.requireOneOf(api, 'fileType', fileType, kit.UPLOAD_FILE_TYPES, ' or jpeg');
    if (kit.binarySize(input.data) === null) throw kit.invalid(api, 'data', 'be a Uint8Array, ArrayBuffer or Blob');
    const bytes = await toBytes(input.data);
    if (bytes.length === 0) throw kit.invalid(api, 'data', 'not be empty');
    kit.requireMax(api, 'data', '', options.uploadMaxBytes ?? kit.DEFAULT_UPLOAD_MAX_BYTES, bytes.length, 'bytes');
    const onProgress = call?.onProgress;
    const extra = onProgress ? { onUploadProgress: uploadProgress(bytes.length, onProgress) } : undefined;
    const answer = await request<UploadFileResponse>(api, { fileType, fileStream: encodeBase64(bytes), channel: kit.CHANNEL }, call, extra);
    // uploadFileStream answers with returnCode, not resultCode.
    kit.expectSuccess(api, answer.returnCode, answer.resultDesc);
    if (typeof answer.objectKey !== 'string' || answer.objectKey === '') throw missing(kit, api, 'objectKey');
    return { objectKey: answer.objectKey };
  },

  async queryPhraseByKeyword(kit, { request }, input, call) {
    const api = 'queryPhraseByKeyword';
    const body = {
      strContent: kit.requireTextBytes(api, 'text', kit.requireText(api, 'text', input?.text)),
      locale: requireLocale(kit, api, 'locale', input.locale),
      channel: kit.CHANNEL,
    };
    const answer = await request<QueryPhraseResponse>(api, body, call);
    kit.expectSuccess(api, answer.resultCode, answer.resultDesc);
    const { question } = answer;
    const list = Array.isArray(question) ? question : typeof question === 'string' && question !== '' ? [question] : [];
    return list.map(String).slice(0, kit.LIMITS.phraseMaxResults);
  },

  async getSatisfactionSurveyMode(kit, { request }, input, call) {
    const api = 'getSatisfactionSurveyMode';
    const answer = await request<SurveyModeResponse>(api, input?.language ? { language: input.language } : {}, call);
    kit.expectSuccess(api, answer.resultCode, answer.resultDesc);
    return parseSurveyMode(answer);
  },

  async saveSatisfaction(kit, { request }, input, call) {
    const api = 'saveSatisfaction';
    const { requireText } = kit;
    const comment = kit.requireMax(api, 'comment', input?.comment ?? '', kit.LIMITS.commentMaxChars);
    // Sent flat, as the documented example does (docs/protocol.md#412-savesatisfaction).
    const body: SaveSatisfactionRequest = {
      channel: kit.CHANNEL,
      userId: kit.requireUserId(api, 'userId', input.userId),
      evaluation: requireText(api, 'evaluation', input.evaluation),
      comment,
      channelConfigId: requireText(api, 'channelConfigId', input.channelConfigId),
    };
    if (input.npsScore !== undefined) body.npsScore = String(kit.requireInt(api, 'npsScore', input.npsScore, 0, 10));
    if (input.fcr !== undefined) body.fcrValue = input.fcr ? '1' : '2';
    const answer = await request<SaveSatisfactionResponse>(api, body, call);
    // Tables say resultCode, the example answers returnCode (docs/protocol.md#68-savesatisfaction-shape): accept either.
    return kit.expectSuccess(api, answer.resultCode ?? answer.returnCode, answer.resultDesc);
  },

  async feedbackSatisfaction(kit, client, input, call) {
    const api = 'feedbackSatisfaction';
    const satisfied = input?.satisfied;
    if (typeof satisfied !== 'boolean') throw kit.invalid(api, 'satisfied', 'be true or false');
    const body: FeedbackSatisfactionRequest = {
      feedback: satisfied ? 1 : 0,
      from: kit.requireText(api, 'from', input.from),
      interIdx: kit.requireText(api, 'interIdx', input.interIdx),
    };
    const content = input.content?.trim() ?? '';
    if (!satisfied && content === '') throw kit.invalid(api, 'content', 'be given when the customer is not satisfied');
    if (content !== '') body.feedbackContent = kit.requireMax(api, 'content', content, kit.LIMITS.feedbackContentMaxChars);
    return result(kit, client, api, body, call);
  },
};
