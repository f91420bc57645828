/**
 * tokenByAkSk (API Fabric) and applyToken (ccmessaging-token): docs/protocol.md#3-tokenbyaksk,
 * docs/protocol.md#41-applytoken.
 */
import {
  HEADERS,
  LIMITS,
  ResultCode,
  type ApplyTokenRequest,
  type ApplyTokenResponse,
  type TokenByAkSkRequest,
  type TokenByAkSkResponse,
  type WireFields,
} from '../../client/protocol.js';
import { GatewayText, InferredDesc } from '../texts.js';
import { checkString, firstIssue, LOCALE } from '../validate.js';
import { gatewayError, ok, rejectWith, type Handler } from './context.js';

export const tokenByAkSk: Handler = (ctx, world) => {
  const { credentials, now } = world.config;
  const rawExpire = ctx.headers[HEADERS.tokenExpire];
  let seconds: number = LIMITS.accessTokenDefaultSeconds;
  if (rawExpire !== undefined) {
    const text = Array.isArray(rawExpire) ? rawExpire[0] ?? '' : rawExpire;
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= LIMITS.accessTokenMaxSeconds)) {
      ctx.violate('invalid-value', `X-Token-Expire must be 1..${LIMITS.accessTokenMaxSeconds}, got "${text}"`);
      return gatewayError(400, GatewayText.badTokenExpire);
    }
    seconds = n;
  }
  const request: WireFields<TokenByAkSkRequest> = ctx.body;
  const issue = firstIssue(checkString(request, 'app_key'), checkString(request, 'app_secret'));
  if (issue) {
    ctx.violate(issue.kind === 'missing' ? 'missing-field' : 'wrong-type', issue.message);
    return gatewayError(400, issue.message);
  }
  if (request['app_key'] !== credentials.appKey || request['app_secret'] !== credentials.appSecret) {
    return gatewayError(401, GatewayText.badCredentials);
  }
  const issued = world.accessTokens.issue(credentials.appKey, seconds, now());
  const body: TokenByAkSkResponse = {
    AccessToken: issued.token,
    ApplyType: 'Bearer',
    CreateTime: String(Math.floor(issued.createdAt / 1000)),
    Expires: String(seconds),
    Scope: 'default',
    AppKey: credentials.appKey,
    UserID: 'Anonymous',
  };
  return ok(body);
};

export const applyToken: Handler = (ctx, world) => {
  const { channelId, now } = world.config;
  const failed: ApplyTokenResponse = { resultCode: ResultCode.FAILURE, resultDesc: InferredDesc.applyTokenFailed };
  const request: WireFields<ApplyTokenRequest> = ctx.body;
  const issue = firstIssue(
    checkString(request, 'userId', { maxLength: LIMITS.applyTokenUserIdMaxLength }),
    checkString(request, 'userName'),
    checkString(request, 'channelId', { equals: channelId }),
    checkString(request, 'locale', { pattern: LOCALE, patternHint: 'must look like zh, zh_CN, en or en_US' }),
  );
  // Only "0" and "1" are documented for applyToken.
  if (issue) return rejectWith(ctx, issue, failed);
  const userId = request['userId'] as string;
  ctx.identify(userId);
  world.engine.user(userId);
  const token = world.ccTokens.issue(userId, channelId, now());
  // resultDesc is documented as "currently not returned".
  const body: ApplyTokenResponse = { resultCode: ResultCode.SUCCESS, token };
  return ok(body);
};
