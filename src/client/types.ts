/**
 * The client's public types: what callers pass in and what they get back. The wire shapes live
 * in protocol.ts; these are the parsed, friendlier views (numbers as numbers, media resolved).
 */
import type { AxiosInstance } from 'axios';
import type { HttpTransport } from './http.js';
import type {
  ControlType,
  DownlinkMediaType,
  SourceType,
  UplinkMediaType,
} from './protocol.js';

// ---------------------------------------------------------------------------------------------
// Options and auth providers

/** Why the client asks for a ccmessaging-token. */
export type TokenRequestReason = 'initial' | 'unauthorized';

/**
 * Supplies the per-user ccmessaging-token. In a browser this calls your back end (which calls
 * applyToken with the tenant's credentials); on a server it may call `client.applyToken` itself.
 * Concurrent calls share one provider call, so no single caller's AbortSignal is passed in.
 */
export type TokenProvider = (request: { reason: TokenRequestReason }) => string | Promise<string>;

/** Headers the API Fabric gateway wants (x-app-key, Authorization). */
export type GatewayHeaders = Record<string, string>;

/**
 * Supplies the gateway headers. `forceRefresh` is true after a 403 (AccessToken expired).
 * Leave it out when a gateway of your own adds these headers server-side.
 */
export type GatewayHeadersProvider = (request: {
  forceRefresh: boolean;
  signal?: AbortSignal;
}) => GatewayHeaders | Promise<GatewayHeaders>;

export interface AiccClientOptions {
  /** Tenant base URL (`https://{domain}`) or your gateway's URL. No trailing slash needed. */
  baseUrl: string;
  /** Supplies the ccmessaging-token. Needed by every API except applyToken and tokenByAkSk. */
  token?: TokenProvider;
  /** Supplies x-app-key and Authorization for the API Fabric gateway. */
  gatewayHeaders?: GatewayHeadersProvider;
  /**
   * How requests go out. Default: axios, loaded on the first request (bundlers put it in a chunk
   * of its own). Others: `nodeTransport()` from `aicc-chat-machine/transport-node` (node:http,
   * keep-alive; Node back ends with many sessions), `netTransport()` from
   * `aicc-chat-machine/transport-net` (HTTP/1.1 on sockets; thousands of sessions per process),
   * `fetchTransport()` from
   * `aicc-chat-machine/transport-fetch` (the smallest browser bundle), or your own HttpTransport.
   * Every transport behaves the same: timeouts, abort, token rotation, typed errors, answer cap.
   */
  transport?: HttpTransport;
  /**
   * Bring your own axios instance (interceptors, adapters, agents); excludes `transport`.
   * Default: one internal instance shared by every client that brings none, until the client
   * reads `http`.
   */
  axios?: AxiosInstance;
  /** Per-call timeout in ms for everything but poll. Default 15000. */
  timeoutMs?: number;
  /** Long-poll window of the service in ms (default 5000); poll's timeout is set above it. */
  longPollWindowMs?: number;
  /** Poll timeout in ms. Default: longPollWindowMs + 10000. */
  pollTimeoutMs?: number;
  /** Called when the server rotates the ccmessaging-token through a response header. */
  onTokenRotated?: (token: string) => void;
  /** Largest file downloadFileStream hands back, in decoded bytes. Default 2 MB. */
  downloadMaxBytes?: number;
  /** Largest file uploadFileStream accepts, in bytes. Default 2 MB (inferred: docs/protocol.md#614-upload-limits-and-types). */
  uploadMaxBytes?: number;
}

/** Per-call options: every method accepts them. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call (ms). */
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Inputs

export interface ApplyTokenInput {
  userId: string;
  userName: string;
  channelId: string;
  locale: string;
}

export interface TokenByAkSkInput {
  appKey: string;
  appSecret: string;
  /** Requested lifetime (X-Token-Expire), 1..3600 s. Default 600. */
  expiresInSeconds?: number;
}

export interface HistoryQueryInput {
  channelId: string;
  userId: string;
  /** Page size. Default 50. */
  limit?: number;
  /** Paging offset. Default 0. */
  offset?: number;
  /** Window start, epoch ms. */
  startTime?: number;
  /** Window end, epoch ms. */
  endTime?: number;
}

/** One uplink message; the client adds `channel`, `sourceType` and a default `timestamp`. */
export interface SendInput {
  controlType: ControlType;
  /** Default `TEXT`. */
  mediaType?: UplinkMediaType;
  content?: string;
  /** The customer's user id (1–24 characters). */
  from: string;
  /** The WEB channel configuration id. */
  to: string;
  senderNickname?: string;
  senderAvatar?: string | null;
  userAgent?: string | null;
  /** Epoch ms. Default: now. */
  timestamp?: number;
}

export interface LeaveMessageInput {
  userId: string;
  /** Callback phone number. */
  caller: string;
  message: string;
}

export interface PollInput {
  userId: string;
  /** Ask for READ notices too. */
  isNeedRead?: boolean;
}

/** What downloadFileStream needs; `fileRefOf(message)` builds it from a downlink media message. */
export interface FileRef {
  /** `local/<key>` for files the agent uploaded locally, else the media-library id. */
  fileId: string;
  fileType: string;
  /** True for media-library files (sends `multiMedia: "multiMedia"`). */
  multiMedia: boolean;
  /**
   * The other id form to try when this one is refused: set when the form is unknown (a message
   * recovered from history, which does not say whether the agent uploaded the file locally).
   */
  fallback?: { fileId: string; multiMedia: boolean };
}

/** Bytes in any of the shapes browsers and Node hand out. */
export type BinaryInput = Uint8Array | ArrayBuffer | Blob;

export interface UploadInput {
  /** jpg, jpeg, png, bmp, mp3, aac, mp4, txt, csv (any case). */
  fileType: string;
  data: BinaryInput;
}

/** How much of a file went out: `loaded` of `total` bytes (`total` is the file's size). */
export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions extends CallOptions {
  /**
   * Called while the file goes out, throttled (every 100 ms or 5 % at most), and always with
   * `loaded === total` once all of it left (the answer may still be on its way). axios,
   * transport-node and transport-net report along the way; transport-fetch only that end (fetch
   * cannot tell).
   */
  onProgress?: (progress: UploadProgress) => void;
}

export interface QueueInfoInput {
  userId: string;
  channelConfigId: string;
}

export interface PhraseQueryInput {
  text: string;
  locale: string;
}

export interface SurveyModeInput {
  language?: string;
}

export interface SaveSatisfactionInput {
  userId: string;
  channelConfigId: string;
  /** A satisfactionLevelKey from the survey mode ("1".."5" by default). */
  evaluation: string;
  comment?: string;
  /** 0..10. */
  npsScore?: number;
  /** Was the problem solved? */
  fcr?: boolean;
}

export interface FeedbackSatisfactionInput {
  satisfied: boolean;
  /** Required when not satisfied; at most 64 characters. */
  content?: string;
  from: string;
  /** The interIdx of the last ROBOT message. */
  interIdx: string;
}

// ---------------------------------------------------------------------------------------------
// Outputs

export interface AccessToken {
  accessToken: string;
  appKey: string;
  scope: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  expiresAt: number;
}

export interface ResultInfo {
  resultCode: string;
  resultDesc: string;
}

/** A message in the user's history. */
export interface HistoryMessage {
  id: string;
  /** Stable key for deduplication: messageCode, else the record id. */
  key: string;
  messageCode: string | null;
  /** `USER` is mapped to `CUSTOMER`. */
  sourceType: SourceType | 'CUSTOMER';
  controlType: string;
  mediaType: string | null;
  content: string | null;
  senderNickname: string | null;
  /** Epoch ms. */
  timestamp: number;
  callId: string | null;
}

/** The parsed payload of a CHAT message, by media type. */
export type DownlinkContent =
  | { mediaType: 'TEXT'; text: string }
  | {
      mediaType: 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT';
      /** What downloadFileStream needs. */
      file: FileRef;
      /** The raw content (resource id). */
      resourceId: string;
    }
  | { mediaType: 'LOCATE'; latitude: number; longitude: number; description: string }
  | { mediaType: 'UNKNOWN'; raw: string | null; rawMediaType: string | null };

interface DownlinkBase {
  /** Stable dedupe key: messageCode, else a hash of the message's identifying fields. */
  key: string;
  messageCode: string | null;
  sourceType: SourceType;
  senderNickname: string | null;
  /** Epoch ms (0 when the server sent none). */
  timestamp: number;
  callId: string | null;
  from: string;
  to: string;
}

export interface ChatDownlink extends DownlinkBase {
  controlType: 'CHAT';
  content: DownlinkContent;
  /** Robot fields, present on ROBOT messages. */
  interIdx: string | null;
  robotGender: string | null;
  simQuestions: string | null;
  /** Older servers mark queueing with queueFlag "Y". */
  queueFlag: boolean;
  /**
   * Rebuilt from a history record by the catch-up after a lost poll answer: history lacks
   * contentType and mediaFileType, so a file's id form is a guess (see FileRef.fallback). A later
   * copy of the same message from poll replaces it in place.
   */
  recovered?: true;
}

export interface DisconnectDownlink extends DownlinkBase {
  controlType: 'DISCONNECT';
  /** True when the user may still leave an offline message. */
  isOfflineStatus: boolean;
}

export interface ReadDownlink extends DownlinkBase {
  controlType: 'READ';
  /** Ids of the customer's messages the agent has read. */
  messageIds: string[];
}

/** CONNECT / TRANS2AGENT echoes some versions push; kept so nothing is silently lost. */
export interface OtherDownlink extends DownlinkBase {
  controlType: 'CONNECT' | 'TRANS2AGENT' | 'UNKNOWN';
  rawControlType: string | null;
  content: string | null;
}

export type DownlinkMessage = ChatDownlink | DisconnectDownlink | ReadDownlink | OtherDownlink;

export interface DownloadedFile {
  bytes: Uint8Array;
  fileType: string;
  /** Temporary viewing link, when the server offers one. */
  fileUrl: string | null;
}

export interface QueueMetrics {
  position: number;
  totalWaitTime: number;
  currentDeviceWaitTime: number;
  configMaxWaitTime: number;
  longestWaitTime: number;
  estimateWaitTime: number;
}

/** Where the session stands, from queryQueueInfo. Errors are thrown, not returned. */
export type QueueStatus =
  | ({ status: 'queuing' } & QueueMetrics)
  | { status: 'with-agent' }
  | { status: 'in-ivr' }
  | { status: 'ended'; resultCode: string };

export interface SatisfactionLevel {
  key: string;
  label: string;
}

export type SurveyMode =
  | { surveyType: 'NO' }
  | {
      surveyType: 'WEB';
      levels: SatisfactionLevel[];
      /** Extra questionnaire items: FCR, NPS, CSAT. */
      questions: string[];
    };

export type { DownlinkMediaType };

/** One method per documented API, named after it. Every method takes CallOptions last. */
export interface AiccClient {
  /** Tenant-wide API Fabric token from AK/SK. Server-side only: never ship AK/SK to a browser. */
  tokenByAkSk(input: TokenByAkSkInput, options?: CallOptions): Promise<AccessToken>;
  applyToken(input: ApplyTokenInput, options?: CallOptions): Promise<{ token: string }>;
  /**
   * Makes sure a ccmessaging-token is held, asking the token provider if not (reason 'initial').
   * The machine's `auth` state calls this; every other method calls it implicitly.
   */
  authenticate(options?: CallOptions): Promise<void>;
  queryHistoryChatMessage(input: HistoryQueryInput, options?: CallOptions): Promise<HistoryMessage[]>;
  /** Synchronous send; a non-zero resultCode is thrown as a business AiccError. */
  send(input: SendInput, options?: CallOptions): Promise<ResultInfo>;
  /** Asynchronous send: the server only acknowledges acceptance. */
  sendAsync(input: SendInput, options?: CallOptions): Promise<ResultInfo>;
  doLeaveMessage(input: LeaveMessageInput, options?: CallOptions): Promise<ResultInfo>;
  /** One long poll; resolves with the parsed messages (possibly none). */
  poll(input: PollInput, options?: CallOptions): Promise<DownlinkMessage[]>;
  downloadFileStream(file: FileRef, options?: CallOptions): Promise<DownloadedFile>;
  queryQueueInfo(input: QueueInfoInput, options?: CallOptions): Promise<QueueStatus>;
  uploadFileStream(input: UploadInput, options?: UploadOptions): Promise<{ objectKey: string }>;
  queryPhraseByKeyword(input: PhraseQueryInput, options?: CallOptions): Promise<string[]>;
  getSatisfactionSurveyMode(input?: SurveyModeInput, options?: CallOptions): Promise<SurveyMode>;
  saveSatisfaction(input: SaveSatisfactionInput, options?: CallOptions): Promise<ResultInfo>;
  feedbackSatisfaction(input: FeedbackSatisfactionInput, options?: CallOptions): Promise<ResultInfo>;
  /**
   * The axios instance this client uses (add interceptors here): `options.axios` when given.
   * Clients built without it share one internal instance (an instance costs ~4 KB of heap); the
   * first read of `http` gives this client an instance of its own, used for every request from
   * then on (calls already in flight finish on the shared one). So interceptors added here only
   * ever see this client's calls. axios is loaded with the first request of any such client:
   * reading `http` before that throws a validation AiccError (pass `options.axios` to set
   * interceptors up front), and so does reading it on a client with `options.transport`.
   */
  readonly http: AxiosInstance;
}
