/**
 * queryHistoryChatMessage, queryQueueInfo, queryPhraseByKeyword (docs/protocol.md#42-queryhistorychatmessage,
 * docs/protocol.md#48-queryqueueinfo, docs/protocol.md#410-queryphrasebykeyword).
 */
import {
  CHANNEL,
  LIMITS,
  QueueResultCode,
  ResultCode,
  ResultDesc,
  type QueryHistoryRequest,
  type QueryHistoryResponse,
  type QueryPhraseRequest,
  type QueryPhraseResponse,
  type QueryQueueInfoRequest,
  type WireFields,
} from '../../client/protocol.js';
import type { HistoryFilter } from '../engine.js';
import { InferredDesc } from '../texts.js';
import { checkString, DIGITS, firstIssue, LOCALE } from '../validate.js';
import { conventionCode, ok, rejectWith, result, type Handler } from './context.js';

const digits = { pattern: DIGITS, patternHint: 'must be a non-negative integer as a string' } as const;

export const queryHistoryChatMessage: Handler = (ctx, world) => {
  const body: WireFields<QueryHistoryRequest> = ctx.body;
  const issue = firstIssue(
    checkString(body, 'channelId', { equals: world.config.channelId }),
    checkString(body, 'userId', { maxLength: LIMITS.userIdMaxLength }),
    checkString(body, 'limit', digits),
    checkString(body, 'offset', digits),
    checkString(body, 'channel', { equals: CHANNEL }),
    checkString(body, 'startTime', { required: false, ...digits }),
    checkString(body, 'endTime', { required: false, ...digits }),
  );
  if (issue) {
    // Only "0" and "1" are documented here; "2"/"3" follow the cross-API convention [inferred].
    const code = conventionCode(issue);
    const desc = code === ResultCode.PARAMETER_MISSING ? InferredDesc.parameterMissing : InferredDesc.parameterError;
    return rejectWith(ctx, issue, result(code, `${desc}: ${issue.message}`));
  }
  const filter: HistoryFilter = { limit: Number(body['limit']), offset: Number(body['offset']) };
  if (typeof body['startTime'] === 'string' && body['startTime'] !== '') filter.startTime = Number(body['startTime']);
  if (typeof body['endTime'] === 'string' && body['endTime'] !== '') filter.endTime = Number(body['endTime']);
  const messageList = world.engine.history(world.engine.find(ctx.userId), filter);
  return ok({ messageList, resultCode: ResultCode.SUCCESS, resultDesc: ResultDesc.historySuccess } satisfies QueryHistoryResponse);
};

export const queryQueueInfo: Handler = (ctx, world) => {
  const body: WireFields<QueryQueueInfoRequest> = ctx.body;
  const issue = firstIssue(
    checkString(body, 'userId', { maxLength: LIMITS.applyTokenUserIdMaxLength }),
    checkString(body, 'channelConfigId', { equals: world.config.channelId }),
    checkString(body, 'channel', { equals: CHANNEL }),
  );
  // "1" is the documented parameter-error code of this API.
  if (issue) return rejectWith(ctx, issue, { resultCode: QueueResultCode.PARAMETER_ERROR });
  return ok(world.engine.queueInfo(world.engine.user(ctx.userId), ctx.violate));
};

export const queryPhraseByKeyword: Handler = (ctx, world) => {
  const body: WireFields<QueryPhraseRequest> = ctx.body;
  const failed = (desc: string): QueryPhraseResponse => ({ resultCode: ResultCode.FAILURE, resultDesc: desc });
  const requestIssue = firstIssue(
    checkString(body, 'strContent', { allowEmpty: true }),
    checkString(body, 'channel', { equals: CHANNEL }),
  );
  if (requestIssue) return rejectWith(ctx, requestIssue, failed(ResultDesc.phraseRequestMissing));
  const localeIssue = checkString(body, 'locale', { pattern: LOCALE, patternHint: 'must look like zh, zh_CN, en or en_US' });
  if (localeIssue) return rejectWith(ctx, localeIssue, failed(ResultDesc.phraseLocaleError));
  const { scenario } = world.config;
  // Suggestions come from the robot's FAQ: a channel without a robot has none.
  if (scenario.connectTo !== 'robot') return ok(failed(ResultDesc.phraseNoRobot));
  const needle = (body['strContent'] as string).trim().toLowerCase();
  const question = needle === ''
    ? []
    : scenario.robot.faq.filter((q) => q.toLowerCase().includes(needle)).slice(0, LIMITS.phraseMaxResults);
  return ok({ resultCode: ResultCode.SUCCESS, question } satisfies QueryPhraseResponse);
};
