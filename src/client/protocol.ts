/**
 * The CC-Messaging wire protocol: paths, enums, result codes and the exact JSON shapes that
 * travel over HTTP. Shared by the client (which sends them) and the simulator (which answers
 * them), so both speak one dialect. Facts are in docs/protocol.md; wire typos such as
 * `satisfication` and `configMaxcWaitTime` are kept on purpose.
 */

export const CHANNEL = 'WEB' as const;
export type Channel = typeof CHANNEL;

/** Every API path, relative to the tenant's base URL. */
export const API_PATHS = {
  tokenByAkSk: '/apigovernance/api/oauth/tokenByAkSk',
  applyToken: '/apiaccess/ccmessaging/applyToken',
  queryHistoryChatMessage: '/apiaccess/ccmessaging/queryHistoryChatMessage',
  send: '/apiaccess/ccmessaging/send',
  sendAsync: '/apiaccess/ccmessaging/sendAsync',
  doLeaveMessage: '/apiaccess/ccmessaging/doLeaveMessage',
  poll: '/apiaccess/ccmessaging/poll',
  downloadFileStream: '/apiaccess/ccmessaging/downloadFileStream',
  queryQueueInfo: '/apiaccess/ccmessaging/queryQueueInfo',
  uploadFileStream: '/apiaccess/ccmessaging/uploadFileStream',
  queryPhraseByKeyword: '/apiaccess/ccmessaging/queryPhraseByKeyword',
  getSatisfactionSurveyMode: '/apiaccess/ccmessaging/getsatisfactionsurveymode',
  saveSatisfaction: '/apiaccess/ccmessaging/saveSatisfaction',
  feedbackSatisfaction: '/apiaccess/ccmessaging/v1/robot/feedbacksatisfaction',
} as const;

export type ApiName = keyof typeof API_PATHS;

/** The APIs a customer's browser calls (everything but the tenant-wide tokenByAkSk). */
export const CUSTOMER_APIS = [
  'applyToken',
  'queryHistoryChatMessage',
  'send',
  'sendAsync',
  'doLeaveMessage',
  'poll',
  'downloadFileStream',
  'queryQueueInfo',
  'uploadFileStream',
  'queryPhraseByKeyword',
  'getSatisfactionSurveyMode',
  'saveSatisfaction',
  'feedbackSatisfaction',
] as const satisfies readonly ApiName[];

/** Header names, lower-case as node:http delivers them. */
export const HEADERS = {
  appKey: 'x-app-key',
  authorization: 'authorization',
  ccmessagingToken: 'ccmessaging-token',
  tokenExpire: 'x-token-expire',
} as const;

// Limits the machine and the view read too, as their own top-level constants: an app that
// imports one of them does not get LIMITS (esbuild shakes separate constants, not object keys).
/** TEXT content limit of an uplink message ("1 KB"), in UTF-8 bytes. */
export const TEXT_MAX_BYTES = 1024;
/** saveSatisfaction comment: fewer than 512 characters. */
export const AGENT_COMMENT_MAX_CHARS = 511;
/** feedbacksatisfaction feedbackContent: at most 64 characters. */
export const ROBOT_COMMENT_MAX_CHARS = 64;
/** Largest upload the client and the machine accept by default: 2 MB. */
export const DEFAULT_UPLOAD_MAX_BYTES = 2_097_152;
/** queryHistoryChatMessage page size when none is given. */
export const DEFAULT_HISTORY_LIMIT = 50;

/** Documented limits. */
export const LIMITS = {
  /** `from`, history `userId`, doLeaveMessage `callId`, saveSatisfaction `userId`. */
  userIdMaxLength: 24,
  /** applyToken and queryQueueInfo accept 32, the rest 24; we hold everyone to 24. */
  applyTokenUserIdMaxLength: 32,
  /** TEXT content of an uplink message, in UTF-8 bytes ("1 KB"). */
  textMaxBytes: TEXT_MAX_BYTES,
  /** Downlink TEXT content, in characters. */
  downlinkTextMaxChars: 500,
  /** Default download cap: 2 MB of decoded file bytes. */
  // Literals, not `2 * 1024 * 1024`: esbuild keeps an unused LIMITS whose values are arithmetic.
  downloadMaxBytes: 2_097_152 as number,
  /** saveSatisfaction comment: fewer than 512 characters. */
  commentMaxChars: AGENT_COMMENT_MAX_CHARS,
  /** feedbacksatisfaction feedbackContent. */
  feedbackContentMaxChars: ROBOT_COMMENT_MAX_CHARS,
  /** queryPhraseByKeyword returns at most five questions. */
  phraseMaxResults: 5,
  /** Default long-poll window of the service (ms). */
  longPollWindowMs: 5000,
  /** API Fabric AccessToken lifetime bounds (s). */
  accessTokenMaxSeconds: 3600,
  accessTokenDefaultSeconds: 600,
  /** ccmessaging-token lifetime (ms). */
  ccmessagingTokenLifetimeMs: 3_600_000 as number,
} as const;

/**
 * doLeaveMessage `caller`: a callback phone number. The docs give no format [inferred]: digits,
 * spaces and dashes with an optional leading +, 3 to 32 characters. Client, machine and
 * simulator all use this one pattern.
 */
export const CALLER_PATTERN = /^\+?[0-9][0-9 -]{2,30}$/;

/** File types downloadFileStream accepts (`bpm` is the documented spelling; `bmp` is accepted too). */
export const DOWNLOAD_FILE_TYPES = [
  'jpg', 'png', 'bpm', 'bmp', 'mp3', 'aac', 'mp4', 'txt', 'csv', 'richtext', 'doc', 'docx', 'pdf', 'zip',
] as const;
/** File types uploadFileStream accepts (lower case on the wire; JPEG is folded to jpg by the client). */
export const UPLOAD_FILE_TYPES = ['jpg', 'png', 'bpm', 'bmp', 'mp3', 'aac', 'mp4', 'txt', 'csv'] as const;
export type DownloadFileType = (typeof DOWNLOAD_FILE_TYPES)[number];
export type UploadFileType = (typeof UPLOAD_FILE_TYPES)[number];

/** The uplink media type each upload type travels as (keyed by UPLOAD_FILE_TYPES: a new type fails to compile without one). */
export const UPLOAD_MEDIA_TYPES: Readonly<Record<UploadFileType, UplinkMediaType>> = {
  jpg: 'IMAGE',
  png: 'IMAGE',
  bpm: 'IMAGE',
  bmp: 'IMAGE',
  mp3: 'AUDIO',
  aac: 'AUDIO',
  mp4: 'VIDEO',
  txt: 'FILE',
  csv: 'FILE',
};

// ---------------------------------------------------------------------------------------------
// Enumerations

export const CONTROL_TYPES = ['CONNECT', 'CHAT', 'INPUT', 'TRANS2AGENT', 'READ', 'DISCONNECT'] as const;
export type ControlType = (typeof CONTROL_TYPES)[number];

export const UPLINK_MEDIA_TYPES = [
  'TEXT', 'IMAGE', 'AUDIO', 'VIDEO', 'FILE', 'FILE_IMAGE', 'FILE_VIDEO', 'WEBCARD',
] as const;
export type UplinkMediaType = (typeof UPLINK_MEDIA_TYPES)[number];

export const DOWNLINK_MEDIA_TYPES = ['TEXT', 'IMAGE', 'VIDEO', 'AUDIO', 'LOCATE', 'DOCUMENT'] as const;
export type DownlinkMediaType = (typeof DOWNLINK_MEDIA_TYPES)[number];

export const SOURCE_TYPES = ['AGENT', 'ROBOT', 'SYSTEM'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Result codes (strings on the wire)

/** Codes shared by most APIs. */
export const ResultCode = {
  SUCCESS: '0',
  FAILURE: '1',
  PARAMETER_MISSING: '2',
  PARAMETER_ERROR: '3',
  /** CONNECT / TRANS2AGENT outside the agents' working hours. */
  AFTER_HOURS: '12',
  /** Internal failure: no CCUCS address, robot init failed, send failed, ... */
  INTERNAL_FAILURE: '13',
} as const;

/** queryQueueInfo codes; "not queuing any more" is a non-zero code, not position 0. */
export const QueueResultCode = {
  QUEUING: '0',
  PARAMETER_ERROR: '1',
  CCUCS_REQUEST_FAILED: '2',
  TOKEN_ERROR: '3',
  UNKNOWN_ERROR: '4',
  SESSION_ENDED: '5',
  CCUCS_SESSION_EXPIRED: '6',
  CCUCS_COMMUNICATION_FAILURE: '160001',
  SESSION_NOT_FOUND: '160004',
  WITH_AGENT: '160021',
  IN_IVR: '160022',
} as const;

/** downloadFileStream codes; `401` is a body code here, not the HTTP status. */
export const DownloadResultCode = {
  SUCCESS: '0',
  PARAMETER_NULL: '2',
  FAILED: '13',
  OBJECT_KEY_NULL: '401',
} as const;

/** uploadFileStream answers with `returnCode`. */
export const UploadReturnCode = {
  SUCCESS: '0',
  PARAMETER_MISSING: '2',
  PARAMETER_ERROR: '3',
  FAILED: '13',
} as const;

/** feedbacksatisfaction uses 11-digit codes. */
export const FeedbackResultCode = {
  SUCCESS: '0',
  AUTH_FAILED: '10010000001',
  RATE_LIMITED: '10010000002',
  CONTENT_REQUIRED: '30000000008',
  NOT_ROBOT_SESSION: '30000000019',
  CHAT_MODULE_ERROR: '30010009999',
} as const;

/** CC-UCS codes that may surface through CONNECT or queryQueueInfo (docs/protocol.md#55-cc-ucs-codes). */
export const CcucsCode = {
  BAD_REQUEST: '160000',
  PLATFORM_COMMUNICATION_ERROR: '160001',
  NO_WEBM_AVAILABLE: '160003',
  SESSION_NOT_FOUND: '160004',
  CALL_QUEUING: '160013',
  TOO_MANY_ONLINE_CALLS: '160018',
  CALL_WITH_AGENT: '160021',
  CALL_IN_IVR: '160022',
  TOKEN_ERROR: '160028',
  NO_AGENT_SIGNED_IN: '20139',
} as const;

/** Documented result texts the simulator answers with (clients may match on them). */
export const ResultDesc = {
  connectAgent: 'success',
  connectRobot: 'connect to robot successfully.',
  afterHours: 'The current time is not within the working time of the service agents',
  noCcucs: 'No ccucs address available!',
  robotInitFailed: 'fail to initialize robot',
  disconnectAgent: 'disconnect successfully',
  disconnectRobot: 'Disconnect robot successfully',
  chatAgent: 'sendUserMessage successfully.',
  chatAgentFailed: 'sendUserMessage failed',
  chatRobot: 'Send message to robot successfully',
  transferAlreadyAgent: 'fail to transfer from robot to agent,it has been agent service.',
  transferSessionLost: 'fail to transfer from robot to agent,session keep touch failed.',
  sendAsyncAccepted: 'send sendMessageForOpenApiAsync success.',
  pollSuccess: 'query user messages success.',
  leaveMessageSaved: 'Save leaveMessage success!',
  leaveMessageParamsError: 'the leaveMessageParams is error.',
  satisfactionSaved: 'Save satisfaction success!',
  satisfactionNoCall: 'The callIdString obtained failed!',
  /** TRANS2AGENT "12": the documented row ends with a period, unlike the CONNECT one. */
  transferAfterHours: 'The current time is not within the working time of the service agents.',
  transferNoChannelConfig: 'transfer to agent failed, none channel config found.',
  historySuccess: 'success',
  objectKeyNull: 'objectKey is null!',
  fileTypeOutOfRange: 'param filetype Out of range!',
  emptyFile: 'empty file!',
  downloadFailed: 'fsservice downloadFile is failed',
  downloadException: 'downloadFileStream exception',
  downloadParamNull: 'param channelId or userId or tenantId is null',
  phraseRequestMissing: 'request is no exsit',
  phraseLocaleError: 'locale is error',
  phraseNoRobot: 'Robot is no exsit',
  satisfactionFailed: 'Save satisfaction failed',
  exceptionAppeared: 'Exception appeared!',
  accessTokenExpired:
    'auth fail! illegal or expired token info. please apply or refresh the access token from the server!',
} as const;

// ---------------------------------------------------------------------------------------------
// Wire shapes: exactly what is serialised as JSON.

/**
 * A body as it arrives, before it is checked: any field may be missing or of any type, but it is
 * read only by the field names of its wire type `T`. The simulator's and the gateway's checks
 * read bodies through it, so renaming a field of a wire type fails to compile where it is read.
 */
export type WireFields<T> = { [K in keyof T]?: unknown };

/** Gateway error body of any non-200 answer. */
export interface GatewayErrorBody {
  errorCode: string;
  exceptionInfo: string;
}

export interface TokenByAkSkRequest {
  app_key: string;
  app_secret: string;
}
export interface TokenByAkSkResponse {
  AccessToken: string;
  ApplyType: 'Bearer';
  /** Epoch seconds, as a string. */
  CreateTime: string;
  /** Lifetime in seconds, as a string. */
  Expires: string;
  Scope: string;
  AppKey: string;
  UserID: string;
}

export interface ApplyTokenRequest {
  userId: string;
  userName: string;
  channelId: string;
  locale: string;
}
export interface ApplyTokenResponse {
  resultCode: string;
  resultDesc?: string;
  token?: string;
}

export interface QueryHistoryRequest {
  channelId: string;
  userId: string;
  startTime?: string;
  endTime?: string;
  limit: string;
  offset: string;
  channel: Channel;
}
export interface WireHistoryMessage {
  id: string;
  channel: string;
  senderNickname: string | null;
  senderAvatar: string | null;
  sendTime: number;
  receiveTime: number;
  controlType: string;
  /** `USER` for the customer in history (not `CUSTOMER`), else AGENT / ROBOT / SYSTEM. */
  sourceType: string;
  mediaType: string | null;
  content: string | null;
  callId: string | null;
  messageCode: string;
  associationContentId: string | null;
  sendStatus: string | null;
  errorMsg: string | null;
  isForwarded: boolean;
  forwardTime: number | null;
  contentDealType: string | null;
}
export interface QueryHistoryResponse {
  resultCode: string;
  resultDesc?: string;
  messageList?: WireHistoryMessage[] | null;
}

/** sendMsgReq: the single uplink shape of send and sendAsync. */
export interface SendMessageRequest {
  channel: Channel;
  content?: string;
  controlType: ControlType;
  from: string;
  mediaType: UplinkMediaType;
  senderNickname?: string;
  sourceType: 'CUSTOMER';
  /** Epoch ms as a string. */
  timestamp?: string;
  to: string;
  userAgent?: string | null;
  senderAvatar?: string | null;
}
export interface ResultResponse {
  resultCode: string;
  resultDesc?: string;
}

export interface LeaveMessageRequest {
  /** Despite its name: the user id, 1–24 characters. */
  callId: string;
  caller: string;
  leaveMessage: string;
  channel: Channel;
}

/** Query string of the poll GET. */
export interface PollQuery {
  receiverId: string;
  channel: Channel;
  isNeedRead?: 'true';
}
/** A downlink message as it arrives (every field may be null or missing in practice). */
export interface WireDownlinkMessage {
  channel?: string;
  content?: string | null;
  from?: string;
  to?: string;
  mediaType?: string | null;
  controlType?: string;
  sourceType?: string;
  senderNickname?: string | null;
  senderAvatar?: string | null;
  /** Epoch ms; a number in examples, a string in one table. */
  timestamp?: number | string | null;
  simQuestions?: string | null;
  isOfflineStatus?: boolean | string | null;
  messageCode?: string | null;
  interIdx?: string | null;
  /** `"1"`: `content` is a locally uploaded file key (download with `local/` prefix). */
  contentType?: string | null;
  mediaFileType?: string | null;
  callId?: string | null;
  robotGender?: string | null;
  queueFlag?: string | null;
  receiveTime?: number | null;
  associationContentId?: string | null;
  handlerType?: string | null;
}
export interface PollResponse {
  resultCode: string;
  resultDesc?: string;
  downlinkMessages?: WireDownlinkMessage[] | null;
}

export interface DownloadFileRequest {
  fileId: string;
  channel: Channel;
  fileType: string;
  multiMedia?: 'multiMedia';
}
export interface DownloadFileResponse {
  resultCode?: string;
  resultDesc?: string;
  fileStream?: string;
  fileUrl?: string;
}

export interface QueryQueueInfoRequest {
  userId: string;
  channelConfigId: string;
  channel: Channel;
}
export interface QueryQueueInfoResponse {
  resultCode: string;
  resultDesc?: string;
  position?: number;
  totalWaitTime?: number;
  currentDeviceWaitTime?: number;
  configMaxcWaitTime?: number;
  longestWaitTime?: number;
  estimateWaitTime?: number;
}

export interface UploadFileRequest {
  fileType: string;
  fileStream: string;
  channel: Channel;
}
export interface UploadFileResponse {
  returnCode: string;
  objectKey?: string;
  resultDesc?: string;
}

export interface QueryPhraseRequest {
  strContent: string;
  locale: string;
  channel: Channel;
}
export interface QueryPhraseResponse {
  resultCode: string;
  resultDesc?: string;
  /** Typed "string" in one table, an array in practice: accept both. */
  question?: string[] | string | null;
}

export interface SurveyModeRequest {
  language?: string;
}
export interface WireSatisfactionLevel {
  satisfactionLevelKey: string;
  satisfactionLevelDesc: string;
}
export interface SurveyModeResponse {
  resultCode: string;
  resultDesc?: string;
  satisfactionSurvey?: {
    surveyType: string;
    satisfactionLevel?: WireSatisfactionLevel[];
    satisfactionQuestion?: string[];
  };
}

export interface SatisfactionInfo {
  channel: Channel;
  userId: string;
  evaluation: string;
  comment: string;
  channelConfigId: string;
  npsScore?: string;
  fcrValue?: '1' | '2';
}
/** Sent flat (the documented example); the simulator also accepts `{ satisfication: {...} }`. */
export type SaveSatisfactionRequest = SatisfactionInfo;
/** The other documented shape of saveSatisfaction: the fields wrapped in `satisfication` (sic). */
export interface WrappedSaveSatisfactionRequest {
  satisfication: SatisfactionInfo;
}
export interface SaveSatisfactionResponse {
  resultCode?: string;
  returnCode?: string;
  resultDesc?: string;
}

export interface FeedbackSatisfactionRequest {
  /** An integer on the wire, unlike almost everything else. */
  feedback: 0 | 1;
  feedbackContent?: string;
  from: string;
  interIdx: string;
}
