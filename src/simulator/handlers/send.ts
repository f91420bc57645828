/** send and sendAsync: the single uplink (docs/protocol.md#43-send, docs/protocol.md#44-sendasync). */
import {
  CHANNEL,
  CONTROL_TYPES,
  LIMITS,
  ResultCode,
  ResultDesc,
  UPLINK_MEDIA_TYPES,
  type ControlType,
  type SendMessageRequest,
  type WireFields,
} from '../../client/protocol.js';
import type { Outcome, Uplink, UserRecord, Violate } from '../engine.js';
import { InferredDesc } from '../texts.js';
import { checkString, DIGITS, firstIssue, str, type FieldIssue } from '../validate.js';
import { conventionCode, ok, rejectWith, result, type Handler, type HandlerContext, type World } from './context.js';

function invalidSend(ctx: HandlerContext, issue: FieldIssue): ReturnType<Handler> {
  const code = conventionCode(issue);
  const desc = code === ResultCode.PARAMETER_MISSING ? InferredDesc.parameterMissing : InferredDesc.parameterError;
  return rejectWith(ctx, issue, result(code, `${desc}: ${issue.message}`));
}

/** sendMsgReq as it arrives. */
type SendBody = WireFields<SendMessageRequest>;

function optionalStringOrNull(body: SendBody, field: keyof SendMessageRequest): FieldIssue | undefined {
  const v = body[field];
  if (v === undefined || v === null || typeof v === 'string') return undefined;
  return { kind: 'type', field, message: `${field} must be a string or null` };
}

/** The envelope of sendMsgReq. */
function checkEnvelope(body: SendBody, channelId: string): FieldIssue | undefined {
  return firstIssue(
    checkString(body, 'channel', { equals: CHANNEL }),
    checkString(body, 'controlType', { oneOf: CONTROL_TYPES }),
    checkString(body, 'from', { maxLength: LIMITS.userIdMaxLength }),
    checkString(body, 'mediaType', { oneOf: UPLINK_MEDIA_TYPES }),
    checkString(body, 'sourceType', { equals: 'CUSTOMER' }),
    checkString(body, 'to', { equals: channelId }),
    checkString(body, 'timestamp', { required: false, pattern: DIGITS, patternHint: 'must be epoch milliseconds as a string' }),
    checkString(body, 'senderNickname', { required: false, allowEmpty: true }),
    optionalStringOrNull(body, 'userAgent'),
    optionalStringOrNull(body, 'senderAvatar'),
    checkString(body, 'content', { required: false, allowEmpty: true }),
  );
}

/**
 * The content of a CHAT, by mediaType. Both documented media forms are accepted (bare objectKey
 * and "objectKey,ext"). Returns the referenced file key, if any, for an existence check.
 */
function checkChatContent(body: SendBody): { issue?: FieldIssue; fileKey?: string } {
  const mediaType = body['mediaType'] as string;
  if (mediaType === 'TEXT') {
    return { issue: checkString(body, 'content', { maxBytes: LIMITS.textMaxBytes }) };
  }
  const missing = checkString(body, 'content');
  if (missing) return { issue: missing };
  const content = body['content'] as string;
  const bad = (hint: string): { issue: FieldIssue } => ({
    issue: { kind: 'value', field: 'content', message: `content of a ${mediaType} message must be ${hint}` },
  });
  const parts = content.split(',');
  switch (mediaType) {
    case 'IMAGE':
    case 'AUDIO':
    case 'VIDEO':
      if (parts.length > 2 || parts[0] === '') return bad('the objectKey (or "objectKey,ext")');
      return { fileKey: parts[0] };
    case 'FILE': {
      // "fileName,fileSize,fileId,fileType"; the name itself may contain commas.
      if (parts.length < 4) return bad('"fileName,fileSize,fileId,fileType"');
      const [size, fileId, type] = parts.slice(-3);
      if (!DIGITS.test(size ?? '') || !fileId || !type || parts.slice(0, -3).join(',') === '') {
        return bad('"fileName,fileSize,fileId,fileType" with the size in bytes');
      }
      return { fileKey: fileId };
    }
    case 'FILE_IMAGE':
    case 'FILE_VIDEO':
      if (parts.length !== 2 || !parts[0] || !parts[1]) return bad('"fileId,extension"');
      return { fileKey: parts[0] };
    case 'WEBCARD': {
      let card: unknown;
      try {
        card = JSON.parse(content);
      } catch {
        return bad('a JSON object serialised into the string');
      }
      if (card === null || typeof card !== 'object' || Array.isArray(card)) return bad('a JSON object');
      const c = card as Record<string, unknown>;
      const has = (k: string): boolean => typeof c[k] === 'string' && c[k] !== '';
      if (!has('redirectUrl') && !has('mediaFileId')) return bad('a card with redirectUrl or mediaFileId');
      return has('mediaFileId') ? { fileKey: c['mediaFileId'] as string } : {};
    }
    default:
      return {};
  }
}

/** Runs one uplink against the session state machine. */
function perform(world: World, user: UserRecord, body: SendBody, violate: Violate): Outcome {
  const controlType = body['controlType'] as ControlType;
  const { engine } = world;
  switch (controlType) {
    case 'CONNECT':
      return engine.connect(user, violate);
    case 'CHAT': {
      const uplink: Uplink = { mediaType: body['mediaType'] as string, content: body['content'] as string };
      const timestamp = str(body, 'timestamp');
      if (timestamp !== undefined) uplink.timestamp = timestamp;
      const nickname = str(body, 'senderNickname');
      if (nickname !== undefined) uplink.senderNickname = nickname;
      const avatar = body['senderAvatar'];
      if (typeof avatar === 'string' || avatar === null) uplink.senderAvatar = avatar;
      return engine.chat(user, uplink, violate);
    }
    case 'TRANS2AGENT':
      return engine.transfer(user, violate);
    case 'DISCONNECT':
      return engine.disconnect(user);
    case 'INPUT':
    case 'READ':
      // No result texts are documented for INPUT and READ [inferred 'success'].
      return { code: ResultCode.SUCCESS, desc: 'success' };
  }
}

function validate(ctx: HandlerContext, world: World): ReturnType<Handler> | undefined {
  const body: SendBody = ctx.body;
  const envelope = checkEnvelope(body, world.config.channelId);
  if (envelope) return invalidSend(ctx, envelope);
  if (body['controlType'] === 'CHAT') {
    const { issue, fileKey } = checkChatContent(body);
    if (issue) return invalidSend(ctx, issue);
    if (fileKey !== undefined && !world.files.has(fileKey)) {
      // The real server may not check; the client most likely sent a wrong key.
      ctx.violate('unknown-file', `${String(body['mediaType'])} message refers to unknown file "${fileKey}"`);
    }
  }
  return undefined;
}

export const send: Handler = (ctx, world) => {
  const invalid = validate(ctx, world);
  if (invalid) return invalid;
  const body: SendBody = ctx.body;
  const outcome = perform(world, world.engine.user(ctx.userId), body, ctx.violate);
  return ok(result(outcome.code, outcome.desc));
};

/**
 * Validation is answered at once; the effect happens a moment later. A CONNECT or TRANS2AGENT
 * that send would have refused surfaces as a SYSTEM notice with the same text, a failed CONNECT
 * followed by a SYSTEM DISCONNECT with isOfflineStatus true [inferred: the docs are silent].
 */
export const sendAsync: Handler = (ctx, world) => {
  const invalid = validate(ctx, world);
  if (invalid) return invalid;
  const user = world.engine.user(ctx.userId);
  const body: SendBody = ctx.body;
  world.timers.set(() => {
    const outcome = perform(world, user, body, ctx.violate);
    if (outcome.code === ResultCode.SUCCESS) return;
    if (body['controlType'] === 'CONNECT') world.engine.asyncFailure(user, outcome.desc, true);
    else if (body['controlType'] === 'TRANS2AGENT') world.engine.asyncFailure(user, outcome.desc, false);
  }, 0);
  return ok(result(ResultCode.SUCCESS, ResultDesc.sendAsyncAccepted));
};
