/**
 * What the gateway forwards and how each request is bound to the identified user. Pure
 * functions: no I/O, so the rules can be read (and tested) in one place.
 */
import {
  API_PATHS,
  CHANNEL,
  CUSTOMER_APIS,
  LIMITS,
  type FeedbackSatisfactionRequest,
  type LeaveMessageRequest,
  type PollQuery,
  type QueryHistoryRequest,
  type QueryQueueInfoRequest,
  type SatisfactionInfo,
  type SendMessageRequest,
  type WireFields,
  type WrappedSaveSatisfactionRequest,
} from '../client/protocol.js';
import type { ForwardedApi, GatewayIdentity, GatewayRoute } from './types.js';

export type BodyKind = 'json' | 'upload' | 'none';

export interface RouteSpec {
  route: GatewayRoute;
  method: 'GET' | 'POST';
  /** Path below basePath, matched byte for byte (no decoding, no normalisation, case-sensitive). */
  path: string;
  body: BodyKind;
}

function isForwarded(api: (typeof CUSTOMER_APIS)[number]): api is ForwardedApi {
  return api !== 'applyToken';
}

/** The 12 customer APIs, in protocol order. */
export const FORWARDED_APIS: readonly ForwardedApi[] = CUSTOMER_APIS.filter(isForwarded);

/** The route the browser's token provider calls. */
export const TOKEN_PATH = '/token';

export const ROUTES: readonly RouteSpec[] = [
  { route: 'token', method: 'POST', path: TOKEN_PATH, body: 'json' },
  ...FORWARDED_APIS.map(
    (api): RouteSpec => ({
      route: api,
      method: api === 'poll' ? 'GET' : 'POST',
      path: API_PATHS[api],
      body: api === 'poll' ? 'none' : api === 'uploadFileStream' ? 'upload' : 'json',
    }),
  ),
];

const ROUTES_BY_PATH: ReadonlyMap<string, RouteSpec> = new Map(ROUTES.map((r) => [r.path, r]));

/** The route for an exact path below basePath, or undefined. */
export function findRoute(path: string): RouteSpec | undefined {
  return ROUTES_BY_PATH.get(path);
}

/** A refused field: 400 `badField` (missing, malformed), 403 `notCaller` (someone else's); `text` says which. */
export type Refusal = { ok: false; status: 400; reason: 'badField'; text: string } | { ok: false; status: 403; reason: 'notCaller'; text: string };
export type Check = { ok: true } | Refusal;

const malformed = (text: string): Refusal => ({ ok: false, status: 400, reason: 'badField', text });
const notCaller = (text: string): Refusal => ({ ok: false, status: 403, reason: 'notCaller', text });

const OK: Check = { ok: true };

/** The body's own field (never one inherited from Object.prototype, such as `constructor`). */
function ownField<T>(body: WireFields<T>, field: keyof T & string): unknown {
  return Object.hasOwn(body, field) ? body[field] : undefined;
}

/** A field (named as in the wire type `T`) that must be present, a string, and one of the allowed values. */
function bound<T>(body: WireFields<T>, field: keyof T & string, allowed: readonly string[], label: string = field): Check {
  const value = ownField(body, field);
  if (value === undefined) return malformed(`${label} is missing`);
  if (typeof value !== 'string') return malformed(`${label} must be a string`);
  if (!allowed.includes(value)) return notCaller(`${label} does not belong to the caller`);
  return OK;
}

function all(...checks: Check[]): Check {
  return checks.find((c) => !c.ok) ?? OK;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Every field through which a request names a user or a channel must name the caller's
 * (docs/protocol.md#26-identifiers): missing or not a string → 400, someone else's → 403.
 */
export function checkBody(api: ForwardedApi, body: Record<string, unknown>, who: GatewayIdentity): Check {
  const user = [who.userId];
  const channel = [who.channelId];
  switch (api) {
    case 'send':
    case 'sendAsync': {
      const request: WireFields<SendMessageRequest> = body;
      return all(bound(request, 'from', user), bound(request, 'to', channel));
    }
    case 'queryHistoryChatMessage': {
      const request: WireFields<QueryHistoryRequest> = body;
      return all(bound(request, 'userId', user), bound(request, 'channelId', channel));
    }
    case 'queryQueueInfo': {
      const request: WireFields<QueryQueueInfoRequest> = body;
      return all(bound(request, 'userId', user), bound(request, 'channelConfigId', channel));
    }
    case 'doLeaveMessage': {
      // callId is the user id here, despite its name (docs/protocol.md#45-doleavemessage).
      const request: WireFields<LeaveMessageRequest> = body;
      return bound(request, 'callId', user);
    }
    case 'saveSatisfaction': {
      // Documented both flat and wrapped in `satisfication` (sic,
      // docs/protocol.md#412-savesatisfaction): every shape present is checked, and at least one must be.
      const request: WireFields<SatisfactionInfo & WrappedSaveSatisfactionRequest> = body;
      const wrapped = ownField(request, 'satisfication');
      const checks: Check[] = [];
      if (wrapped !== undefined) {
        if (!isPlainObject(wrapped)) return malformed('satisfication must be an object');
        const inner: WireFields<SatisfactionInfo> = wrapped;
        checks.push(
          bound(inner, 'userId', user, 'satisfication.userId'),
          bound(inner, 'channelConfigId', channel, 'satisfication.channelConfigId'),
        );
      }
      if (wrapped === undefined || ownField(request, 'userId') !== undefined) checks.push(bound(request, 'userId', user));
      if (wrapped === undefined || ownField(request, 'channelConfigId') !== undefined) checks.push(bound(request, 'channelConfigId', channel));
      return all(...checks);
    }
    case 'feedbackSatisfaction': {
      // `from` is ambiguous upstream (docs/protocol.md#612-feedbacksatisfaction-from): the user id or the channel id.
      const request: WireFields<FeedbackSatisfactionRequest> = body;
      return bound(request, 'from', [who.userId, who.channelId]);
    }
    case 'downloadFileStream':
    case 'uploadFileStream':
    case 'queryPhraseByKeyword':
    case 'getSatisfactionSurveyMode':
    case 'poll':
      return OK;
  }
}

export type QueryCheck = { ok: true; query: string } | Refusal;

const POLL_PARAMS: ReadonlySet<string> = new Set<keyof PollQuery>(['receiverId', 'channel', 'isNeedRead']);

/**
 * The poll query: receiverId exactly once and the caller's, channel at most once and WEB,
 * isNeedRead at most once and true/false, nothing else. Answers the canonical query to forward.
 */
export function checkPollQuery(search: string, who: GatewayIdentity): QueryCheck {
  const params = new URLSearchParams(search);
  const seen = new Map<keyof PollQuery, string>();
  for (const [name, value] of params) {
    if (!POLL_PARAMS.has(name)) return malformed(`unknown query parameter`);
    const param = name as keyof PollQuery;
    if (seen.has(param)) return malformed(`${name} given twice`);
    seen.set(param, value);
  }
  const receiverId = seen.get('receiverId');
  if (receiverId === undefined) return malformed('receiverId is missing');
  if (receiverId !== who.userId) return notCaller('receiverId does not belong to the caller');
  const channel = seen.get('channel');
  if (channel !== undefined && channel !== CHANNEL) return malformed('channel must be WEB');
  const isNeedRead = seen.get('isNeedRead');
  if (isNeedRead !== undefined && isNeedRead !== 'true' && isNeedRead !== 'false') {
    return malformed('isNeedRead must be true or false');
  }
  const out = new URLSearchParams({ receiverId, channel: CHANNEL } satisfies PollQuery);
  if (isNeedRead !== undefined) out.set('isNeedRead', isNeedRead);
  return { ok: true, query: out.toString() };
}

/** An identity the gateway can bind requests to (identify is host code: check what it hands back). */
export function validIdentity(value: unknown): value is GatewayIdentity {
  if (!isPlainObject(value)) return false;
  const { userId, userName, channelId, locale } = value;
  const text = (v: unknown, max: number): boolean =>
    typeof v === 'string' && v.length > 0 && v.length <= max && !/[\u0000-\u001f\u007f]/.test(v);
  return text(userId, LIMITS.userIdMaxLength) && text(userName, 256) && text(channelId, 64) && text(locale, 16);
}
