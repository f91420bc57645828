/** What every API handler gets, and what it gives back. */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiName, GatewayErrorBody, ResultResponse, WireFields } from '../../client/protocol.js';
import type { AccessTokens, CcTokens } from '../auth.js';
import type { FileStore } from '../files.js';
import type { Engine, Violate } from '../engine.js';
import type { TimerSet } from '../timers.js';
import type { Fault, Scenario, SimulatorCredentials, SimulatorTiming } from '../types.js';
import { ruleOf, type FieldIssue } from '../validate.js';

export interface ResolvedConfig {
  host: string;
  port: number;
  channelId: string;
  credentials: SimulatorCredentials;
  scenario: Scenario;
  timing: SimulatorTiming;
  downloadMaxBytes: number;
  uploadMaxBytes: number;
  now: () => number;
  cors: boolean;
  recordRequests: boolean;
}

/** Everything the simulator holds, shared by the server, the handlers and the control API. */
export interface World {
  config: ResolvedConfig;
  engine: Engine;
  files: FileStore;
  accessTokens: AccessTokens;
  ccTokens: CcTokens;
  timers: TimerSet;
}

export interface HandlerContext {
  api: ApiName;
  /**
   * The parsed JSON body ({} for GET and empty bodies). It has no field names of its own: a
   * handler reads it as the `WireFields` of its request type, so every field it reads is checked.
   */
  body: WireFields<unknown>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The user the ccmessaging-token belongs to ('' for APIs without one). */
  userId: string;
  /** The fault that hit this request (only duplicateDelivery reaches handlers). */
  fault: Fault | undefined;
  /**
   * Registers the one listener called when the client goes away before the answer is written
   * (not called when it already has). Cheaper than an AbortSignal on every request.
   */
  onAbandon(listener: () => void): void;
  violate: Violate;
  /** Sets the user a request is recorded under (applyToken). */
  identify(userId: string): void;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body) (injected malformed answers). */
  raw?: string;
}

export type Handler = (ctx: HandlerContext, world: World) => Reply | Promise<Reply>;

export interface Route {
  api: ApiName;
  method: 'GET' | 'POST';
  /** none: tokenByAkSk; gateway: AccessToken only (applyToken); token: also a ccmessaging-token. */
  auth: 'none' | 'gateway' | 'token';
  /** The user id the request names (must be the token's user); reads the body as `WireFields` of its request type. */
  identity?: (body: WireFields<unknown>, query: URLSearchParams) => unknown;
  handle: Handler;
}

export function ok(body: unknown): Reply {
  return { status: 200, body };
}

export function result(resultCode: string, resultDesc?: string): ResultResponse {
  return resultDesc === undefined ? { resultCode } : { resultCode, resultDesc };
}

/** Records the issue as a violation and answers HTTP 200 with the given body. */
export function rejectWith(ctx: HandlerContext, issue: FieldIssue, body: unknown): Reply {
  ctx.violate(ruleOf(issue), issue.message);
  return ok(body);
}

/** The cross-API convention: "2" for a missing parameter, "3" for a wrong one (docs/protocol.md#25-bodies-and-result-codes). */
export function conventionCode(issue: FieldIssue): '2' | '3' {
  return issue.kind === 'missing' ? '2' : '3';
}

/**
 * A gateway error answer `{errorCode, exceptionInfo}`. The only documented example (the 403 of an
 * expired AccessToken) carries errorCode "0"; for other statuses we use the status itself
 * [inferred].
 */
export function gatewayError(status: number, exceptionInfo: string, errorCode = String(status)): Reply {
  return { status, body: { errorCode, exceptionInfo } satisfies GatewayErrorBody };
}
