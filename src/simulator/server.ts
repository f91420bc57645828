/**
 * The HTTP front: routing, the two auth layers, body parsing, fault injection and recording.
 * Order of checks, like a gateway in front of a service: path → method → injected fault →
 * AccessToken (403) → ccmessaging-token (401) → JSON body (400) → identity (401) → handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeedbackResultCode, HEADERS, ResultDesc, type ApplyTokenRequest, type TokenByAkSkRequest, type WireDownlinkMessage, type WireFields } from '../client/protocol.js';
import { faultKind, hashSeed, seededRandom, shuffled, type FaultQueue, type PlannedDecision, type PlanSubject } from './faults.js';
import { gatewayError, type HandlerContext, type Reply, type Route, type World } from './handlers/context.js';
import { ROUTES_BY_PATH } from './handlers/index.js';
import { redactHeaders, redactJson, type Recorder } from './recorder.js';
import { GatewayCode, GatewayText, InferredDesc } from './texts.js';
import type { Fault, RecordedRequest, ViolationRule } from './types.js';
import type { Body } from './validate.js';

const CORS_HEADERS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, x-app-key, authorization, ccmessaging-token, x-token-expire',
  // Retry-After too: a browser client must be able to read it off a 429.
  'access-control-expose-headers': 'ccmessaging-token, retry-after',
  'access-control-max-age': '600',
};

class BodyTooLarge extends Error {}

/** The request target: what `new URL(req.url)` would give, without parsing a URL for API paths. */
interface Target {
  pathname: string;
  searchParams: URLSearchParams;
}

/** The request body parsed once (recording, fault planning and the handler all need it). */
type ParsedBody = { ok: true; value: unknown } | { ok: false };

/**
 * Abandonment of one request (the client went away before the answer was written): a flag and
 * one listener, what an AbortSignal gave at a fraction of its cost per request.
 */
interface Abandonment {
  abandoned: boolean;
  listener: (() => void) | undefined;
}

export class SimServer {
  private readonly server: Server;
  /** Responses not finished yet (close waits briefly for the ones being written). */
  private readonly open = new Set<ServerResponse>();
  private closing = false;

  constructor(
    private readonly world: World,
    private readonly recorder: Recorder,
    private readonly faults: FaultQueue,
  ) {
    this.server = createServer((req, res) => {
      this.open.add(res);
      res.on('close', () => this.open.delete(res));
      this.onRequest(req, res).catch((err: unknown) => {
        // Last line of defence: never leave a request hanging because of a simulator bug.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json;charset=UTF-8' });
          res.end(JSON.stringify({ errorCode: '500', exceptionInfo: `simulator error: ${String(err)}` }));
        }
      });
    });
    // Long polls must not be cut by node's default timeouts.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    // Keep idle connections open like a load balancer does (Node's default closes them after 5 s
    // from the server side, which leaves the server's port in TIME_WAIT for every client socket).
    this.server.keepAliveTimeout = 65_000;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      // A deep accept queue: hundreds of simulated browsers may connect in the same instant (the
      // default 511 drops SYNs, which the clients only retry a second later).
      this.server.listen({ port, host, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Waiting polls are answered with [] first, so clients see an orderly end.
    this.world.engine.releasePolls();
    await this.settleOpenResponses(200);
    this.world.timers.clearAll();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Lets answers that are already on their way finish (bounded: delayed ones never will). */
  private async settleOpenResponses(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const writing = [...this.open].some((res) => res.headersSent && !res.writableFinished);
      if (!writing) return;
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = parseTarget(req.url ?? '/');
    const cors = this.world.config.cors;
    if (cors && method === 'OPTIONS') {
      // Preflights are browser plumbing, not API traffic: answered, not recorded.
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    const route = ROUTES_BY_PATH.get(url.pathname);
    const rec = this.recorder.start({
      api: route?.api ?? 'unknown',
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(req.headers),
      body: undefined,
    });
    // Bound, not an arrow held in a const: under tsx (keepNames) every such per-request arrow
    // costs an Object.defineProperty for its name.
    const violate = recordViolation.bind(null, this.recorder, rec);

    let raw: string;
    try {
      raw = await readBody(req, this.world.config.uploadMaxBytes * 2 + 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLarge) this.write(res, rec, gatewayError(413, GatewayText.tooLarge), true);
      else {
        this.recorder.end(rec);
        res.destroy();
      }
      return;
    }
    const parsed = parseBody(raw);
    rec.body = raw === '' ? undefined : redactJson(parsed.ok ? parsed.value : raw);

    if (!route) {
      violate('unknown-path', `${method} ${url.pathname} is not a CC-Messaging API path (paths are case-sensitive)`);
      this.write(res, rec, gatewayError(404, GatewayText.notFound));
      return;
    }
    if (method !== route.method) {
      // The gateway matches method and path together, so a wrong method finds no API: 404 [inferred].
      violate('wrong-method', `${route.api} takes ${route.method}, got ${method}`);
      this.write(res, rec, gatewayError(404, GatewayText.notFound));
      return;
    }

    let fault: Fault | undefined = this.faults.take(route.api);
    let planned: PlannedDecision | undefined;
    if (fault) {
      rec.fault = faultKind(fault);
    } else if (this.faults.hasPlan) {
      const userId = this.userOf(route, req, raw, parsed, url);
      planned = this.faults.decide(route.api, userId ?? this.tenantOf(route, req, parsed));
      if (planned) {
        rec.plannedFault = planned.type;
        fault = this.applyPlanned(planned, userId, raw);
        if (fault) rec.fault = faultKind(fault);
      }
    }
    // Gateway refusals (429, IP allow-list 403) and flow control are answers decided up front.
    if (fault) fault = asAnswer(fault);
    if (fault && 'status' in fault && !fault.afterProcessing) {
      this.write(res, rec, statusReply(fault));
      return;
    }
    if (fault && 'reset' in fault && !fault.afterProcessing) {
      this.recorder.end(rec);
      res.destroy();
      return;
    }

    const abandonment: Abandonment = { abandoned: false, listener: undefined };
    res.on('close', () => {
      if (res.writableFinished) return;
      this.recorder.end(rec);
      if (rec.status === 0 && rec.fault !== 'reset') rec.abandoned = true;
      abandonment.abandoned = true;
      const listener = abandonment.listener;
      abandonment.listener = undefined;
      listener?.();
    });
    let reply = await this.process(route, req, raw, parsed, url, rec, violate, fault, abandonment);
    if (fault && 'reset' in fault) {
      // Processed, and the answer is lost on the way: a poll batch taken here is gone.
      this.recorder.end(rec);
      res.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      // Processed; a gateway lost the upstream answer and says so.
      reply = statusReply(fault);
    }
    if (fault && 'reorder' in fault) {
      reply = reorderBatch(reply, planned?.random ?? seededRandom(hashSeed('reorder', rec.seq)));
    }
    if (fault && 'delayMs' in fault) {
      await new Promise<void>((resolve) => this.world.timers.set(resolve, fault.delayMs));
    }
    if (res.destroyed || abandonment.abandoned) {
      // Never written: the client went away first. Like an abandoned waiting poll, a poll batch
      // goes back to the queue for the next poll [inferred].
      if (route.api === 'poll' && rec.userId !== undefined && this.world.engine.giveBack(rec.userId, batchOf(reply))) {
        this.faults.countGivenBack();
      }
      rec.status = reply.status;
      return;
    }
    this.write(res, rec, reply);
  }

  /** Who a request is from, before any check: the token's user, else the user it names. */
  private userOf(route: Route, req: IncomingMessage, raw: string, parsed: ParsedBody, url: Target): string | undefined {
    const token = header(req, HEADERS.ccmessagingToken);
    const record = token ? this.world.ccTokens.lookup(token) : undefined;
    if (record) return record.userId;
    // Not JSON: only the query can name the user.
    const value = raw.trim() === '' || !parsed.ok ? {} : parsed.value;
    const body: WireFields<ApplyTokenRequest> = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};
    const named = route.identity?.(body, url.searchParams) ?? (route.api === 'applyToken' ? body['userId'] : undefined);
    return typeof named === 'string' && named !== '' ? named : undefined;
  }

  /**
   * What a plan keys a request without a user by: tokenByAkSk's app key (body `app_key`, else
   * the `x-app-key` header, else "*" so that even a malformed token request is counted).
   */
  private tenantOf(route: Route, req: IncomingMessage, parsed: ParsedBody): PlanSubject | undefined {
    if (route.api !== 'tokenByAkSk') return undefined;
    const value = parsed.ok ? parsed.value : undefined;
    const request: WireFields<TokenByAkSkRequest> = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Body) : {};
    const bodyKey = request['app_key'];
    const appKey = typeof bodyKey === 'string' && bodyKey !== '' ? bodyKey : (header(req, HEADERS.appKey) ?? '*');
    return { appKey };
  }

  /**
   * Turns a planned decision into a transport fault, or applies its effect on the world. The
   * user-bound effects are only ever decided for requests with a user (FaultQueue.decide).
   */
  private applyPlanned(decision: PlannedDecision, userId: string | undefined, raw: string): Fault | undefined {
    const { random } = decision;
    switch (decision.type) {
      case 'http-5xx':
        return { status: [500, 502, 503, 504][Math.floor(random() * 4)] ?? 503 };
      case 'http-5xx-after':
        return { status: random() < 0.5 ? 502 : 504, afterProcessing: true };
      case 'reset':
        return { reset: true };
      case 'reset-after':
        return { reset: true, afterProcessing: true };
      case 'slow':
        return { delayMs: this.faults.slowMs };
      case 'delay':
        return { delayMs: this.faults.delayMs };
      case 'duplicate-delivery':
        return { duplicateDelivery: true };
      case 'reorder':
        return { reorder: true };
      case 'token-rotation':
        if (userId !== undefined) this.world.ccTokens.requestRotation(userId);
        return undefined;
      case 'unauthorized':
        if (userId !== undefined) this.world.ccTokens.expire(userId);
        return undefined;
      case 'access-token-expiry':
        this.world.accessTokens.expireAll();
        return undefined;
      case 'session-release':
        // Not on a CONNECT: a release racing the CONNECT that opens the session is not a release
        // of the conversation the client is in.
        if (userId !== undefined && this.world.engine.isActive(userId) && !/"controlType"\s*:\s*"CONNECT"/.test(raw)) {
          this.world.engine.releaseSession(userId);
        }
        return undefined;
      case 'rate-limited':
        return { rateLimited: true, retryAfterSeconds: this.faults.retryAfterSeconds };
      case 'ip-forbidden':
        return { ipForbidden: true };
      case 'flow-control':
        return { flowControl: true };
    }
  }

  private async process(
    route: Route,
    req: IncomingMessage,
    raw: string,
    parsedBody: ParsedBody,
    url: Target,
    rec: RecordedRequest,
    violate: (rule: ViolationRule, message: string) => void,
    fault: HandlerContext['fault'],
    abandonment: Abandonment,
  ): Promise<Reply> {
    const { config, accessTokens, ccTokens, engine } = this.world;
    const now = config.now();

    if (route.auth !== 'none') {
      const appKey = header(req, HEADERS.appKey);
      const authorization = header(req, HEADERS.authorization);
      if (!appKey || !authorization) {
        violate('missing-header', `${!appKey ? 'x-app-key' : 'Authorization'} header is missing`);
        return gatewayError(403, ResultDesc.accessTokenExpired, '0');
      }
      const bearer = /^Bearer (\S+)$/.exec(authorization);
      if (!bearer) violate('invalid-value', 'Authorization must be "Bearer <AccessToken>" (one space)');
      if (!bearer?.[1] || appKey !== config.credentials.appKey || !accessTokens.isValid(bearer[1], appKey, now)) {
        return gatewayError(403, ResultDesc.accessTokenExpired, '0');
      }
    }

    let userId = '';
    let rotateTo: string | undefined;
    if (route.auth === 'token') {
      const token = header(req, HEADERS.ccmessagingToken);
      if (!token) {
        violate('missing-header', 'ccmessaging-token header is missing');
        return gatewayError(401, GatewayText.ccTokenMissing);
      }
      const check = ccTokens.check(token, now, (id) => engine.isActive(id));
      if (!check.ok) {
        if (check.record) rec.userId = check.record.userId;
        const successor = check.record?.supersededBy;
        if (check.reason === 'superseded' && successor && ccTokens.lookup(successor)?.delivered) {
          violate('stale-token', 'a superseded ccmessaging-token was used after its grace period; take the new one from the response header');
        }
        return gatewayError(401, GatewayText.ccTokenInvalid);
      }
      userId = check.record.userId;
      rec.userId = userId;
      rotateTo = check.rotateTo;
    }

    let body: Body = {};
    if (route.method === 'POST' && raw.trim() !== '') {
      if (!parsedBody.ok) {
        violate('bad-json', 'the request body is not valid JSON');
        return gatewayError(400, GatewayText.badRequest);
      }
      const parsed = parsedBody.value;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        violate('bad-json', 'the request body must be a JSON object');
        return gatewayError(400, GatewayText.badRequest);
      }
      body = parsed as Body;
    }

    if (route.identity) {
      const named = route.identity(body, url.searchParams);
      if (typeof named === 'string' && named !== '' && named !== userId) {
        violate('identity-mismatch', `the request names user "${named}" but the ccmessaging-token belongs to "${userId}"`);
        return gatewayError(401, GatewayText.identityMismatch);
      }
    }

    const ctx: HandlerContext = {
      api: route.api,
      body,
      query: url.searchParams,
      headers: req.headers,
      userId,
      fault,
      onAbandon: onAbandonOf.bind(null, abandonment),
      violate,
      identify: identifyAs.bind(null, rec),
    };
    let reply: Reply;
    try {
      reply = await route.handle(ctx, this.world);
    } catch (err) {
      // A handler bug answers like the service's catch-all would.
      reply = { status: 500, body: { errorCode: '500', exceptionInfo: `${ResultDesc.exceptionAppeared} ${String(err)}` } };
    }
    if (rotateTo !== undefined) reply = { ...reply, headers: { ...reply.headers, [HEADERS.ccmessagingToken]: rotateTo } };
    return reply;
  }

  private write(res: ServerResponse, rec: RecordedRequest, reply: Reply, closeConnection = false): void {
    this.recorder.end(rec);
    rec.status = reply.status;
    rec.response = redactJson(reply.body);
    if (res.destroyed) return;
    const text = reply.raw ?? JSON.stringify(reply.body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json;charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      ...(this.world.config.cors ? CORS_HEADERS : {}),
      ...reply.headers,
    };
    if (closeConnection) headers['connection'] = 'close';
    const rotated = reply.headers?.[HEADERS.ccmessagingToken];
    if (rotated !== undefined) {
      res.once('finish', () => this.world.ccTokens.markDelivered(rotated));
    }
    if (rec.api === 'poll' && rec.userId !== undefined && reply.status === 200) {
      const batch = batchOf(reply);
      const userId = rec.userId;
      if (batch.length > 0) res.once('finish', () => this.world.engine.markDelivered(userId, batch));
    }
    res.writeHead(reply.status, headers);
    res.end(text);
  }
}

function statusReply(fault: Extract<Fault, { status: number }>): Reply {
  const headers = fault.headers ? { headers: { ...fault.headers } } : {};
  if (fault.raw !== undefined) return { status: fault.status, body: fault.raw, raw: fault.raw, ...headers };
  return { status: fault.status, body: fault.body ?? gatewayError(fault.status, GatewayText.injected).body, ...headers };
}

/**
 * The named refusals as the status answers they are (nothing processed):
 * - rate limit: HTTP 429, `Retry-After` in seconds, the gateway body with errorCode "429";
 * - IP allow-list: HTTP 403 with errorCode "160033", unlike the AccessToken 403 (errorCode "0");
 * - flow control (feedbackSatisfaction): HTTP 200 `{"resultCode":"10010000002"}`.
 */
function asAnswer(fault: Fault): Fault {
  if ('rateLimited' in fault) {
    const seconds = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
    return {
      status: 429,
      body: gatewayError(429, GatewayText.rateLimited).body,
      ...(seconds === null ? {} : { headers: { 'retry-after': String(seconds) } }),
    };
  }
  if ('ipForbidden' in fault) return { status: 403, body: gatewayError(403, GatewayText.ipForbidden, GatewayCode.ipNotAllowed).body };
  if ('flowControl' in fault) {
    return { status: 200, body: { resultCode: FeedbackResultCode.RATE_LIMITED, resultDesc: InferredDesc.flowControl } };
  }
  return fault;
}

/** The downlink messages of a poll answer (none for anything else). */
function batchOf(reply: Reply): WireDownlinkMessage[] {
  const list = (reply.body as { downlinkMessages?: unknown } | null)?.downlinkMessages;
  return Array.isArray(list) ? (list as WireDownlinkMessage[]) : [];
}

function reorderBatch(reply: Reply, random: () => number): Reply {
  const batch = batchOf(reply);
  if (batch.length < 2) return reply;
  return { ...reply, body: { ...(reply.body as object), downlinkMessages: shuffled(batch, random) } };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

function recordViolation(recorder: Recorder, rec: RecordedRequest, rule: ViolationRule, message: string): void {
  recorder.violate(rec.api, rec.userId, rule, message);
}

/** Like an AbortSignal listener: never called for a request already abandoned. */
function onAbandonOf(abandonment: Abandonment, listener: () => void): void {
  if (!abandonment.abandoned) abandonment.listener = listener;
}

function identifyAs(rec: RecordedRequest, userId: string): void {
  rec.userId = userId;
}

function parseBody(raw: string): ParsedBody {
  if (raw === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

const BASE_URL = 'http://simulator.local';

/**
 * The path and query of a request target. An exact API path (every request a client makes) is
 * split off directly; anything else (dot segments, percent escapes, a fragment, an absolute
 * form) goes through the URL parser, so unknown-path detection sees what it always saw.
 */
function parseTarget(target: string): Target {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (ROUTES_BY_PATH.has(path) && !target.includes('#')) {
    return { pathname: path, searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  return new URL(target, BASE_URL);
}
