/**
 * getsatisfactionsurveymode, saveSatisfaction, feedbacksatisfaction and doLeaveMessage: what
 * happens around the end of a chat (docs/protocol.md#45-doleavemessage,
 * docs/protocol.md#411-getsatisfactionsurveymode to docs/protocol.md#413-feedbacksatisfaction).
 */
import {
  CHANNEL,
  FeedbackResultCode,
  LIMITS,
  ResultCode,
  ResultDesc,
  type FeedbackSatisfactionRequest,
  type LeaveMessageRequest,
  type SatisfactionInfo,
  type SaveSatisfactionResponse,
  type SurveyModeRequest,
  type SurveyModeResponse,
  type WireFields,
  type WrappedSaveSatisfactionRequest,
} from '../../client/protocol.js';
import { InferredDesc, MoreResultDesc } from '../texts.js';
import type { SatisfactionRecord } from '../types.js';
import { checkString, DIGITS, firstIssue, PHONE, str } from '../validate.js';
import { conventionCode, ok, rejectWith, result, type Handler } from './context.js';

export const getSatisfactionSurveyMode: Handler = (ctx, world) => {
  // Older versions take no body; `language` only picks the label language, and an unsupported
  // one silently falls back to the tenant's language, so nothing here can fail.
  const request: WireFields<SurveyModeRequest> = ctx.body;
  const language = request['language'];
  if (language !== undefined && language !== null && typeof language !== 'string') {
    ctx.violate('wrong-type', 'language must be a string');
  }
  const { scenario } = world.config;
  const web = scenario.survey === 'WEB';
  const body: SurveyModeResponse = {
    resultCode: ResultCode.SUCCESS,
    resultDesc: MoreResultDesc.surveyModeSuccess,
    satisfactionSurvey: {
      surveyType: scenario.survey,
      satisfactionLevel: web
        ? scenario.surveyLevels.map((l) => ({ satisfactionLevelKey: l.key, satisfactionLevelDesc: l.label }))
        : [],
      satisfactionQuestion: web ? [...scenario.surveyQuestions] : [],
    },
  };
  return ok(body);
};

/** The documented body is flat; the table wraps it in `satisfication` (sic). Both are accepted. */
function satisfactionFields(body: WireFields<SatisfactionInfo & WrappedSaveSatisfactionRequest>): {
  fields: WireFields<SatisfactionInfo>;
  shape: 'flat' | 'wrapped';
} {
  const wrapped = body['satisfication'];
  if (wrapped !== null && typeof wrapped === 'object' && !Array.isArray(wrapped)) {
    return { fields: wrapped as WireFields<SatisfactionInfo>, shape: 'wrapped' };
  }
  return { fields: body, shape: 'flat' };
}

export function satisfactionUser(body: WireFields<SatisfactionInfo & WrappedSaveSatisfactionRequest>): unknown {
  return satisfactionFields(body).fields['userId'];
}

export const saveSatisfaction: Handler = (ctx, world) => {
  const { fields, shape } = satisfactionFields(ctx.body);
  const { scenario, channelId, now } = world.config;
  const issue = firstIssue(
    checkString(fields, 'channel', { equals: CHANNEL }),
    checkString(fields, 'userId', { maxLength: LIMITS.userIdMaxLength }),
    checkString(fields, 'evaluation', { oneOf: scenario.surveyLevels.map((l) => l.key) }),
    checkString(fields, 'comment', { allowEmpty: true, maxLength: LIMITS.commentMaxChars }),
    checkString(fields, 'channelConfigId', { equals: channelId }),
    // Documented as 0-9, but NPS is 0-10 everywhere else: accept 0-10 [inferred].
    checkString(fields, 'npsScore', { required: false, pattern: /^(?:\d|10)$/, patternHint: 'must be "0".."10"' }),
    checkString(fields, 'fcrValue', { required: false, oneOf: ['1', '2'] }),
  );
  const answer = (code: string, desc: string): SaveSatisfactionResponse => ({ resultCode: code, resultDesc: desc, returnCode: code });
  // "13" is the only documented failure code of this API.
  if (issue) return rejectWith(ctx, issue, answer(ResultCode.INTERNAL_FAILURE, ResultDesc.satisfactionFailed));
  const session = world.engine.find(ctx.userId)?.session;
  // The rating is tied to the agent call of the current or last session.
  if (!session?.hadAgentCall) return ok(answer(ResultCode.INTERNAL_FAILURE, ResultDesc.satisfactionNoCall));
  const record: SatisfactionRecord = {
    at: now(),
    shape,
    evaluation: fields['evaluation'] as string,
    comment: fields['comment'] as string,
    npsScore: str(fields, 'npsScore') ?? null,
    fcrValue: str(fields, 'fcrValue') ?? null,
    callId: session.callId,
  };
  session.satisfaction = record;
  return ok(answer(ResultCode.SUCCESS, ResultDesc.satisfactionSaved));
};

export const feedbackSatisfaction: Handler = (ctx, world) => {
  const body: WireFields<FeedbackSatisfactionRequest> = ctx.body;
  // No parameter-error code is documented; "1" is the cross-API generic failure [inferred].
  const paramError = (message: string, kind: 'missing' | 'type' | 'value') =>
    rejectWith(ctx, { kind, field: 'feedback', message }, result(ResultCode.FAILURE, `${InferredDesc.feedbackParamError}: ${message}`));
  const feedback = body['feedback'];
  if (feedback === undefined || feedback === null) return paramError('feedback is required', 'missing');
  if (typeof feedback !== 'number') {
    return paramError(`feedback must be the integer 0 or 1, not a ${typeof feedback}`, 'type');
  }
  if (feedback !== 0 && feedback !== 1) return paramError(`feedback must be 0 or 1, got ${feedback}`, 'value');
  const issue = firstIssue(
    checkString(body, 'feedbackContent', { required: false, allowEmpty: true, maxLength: LIMITS.feedbackContentMaxChars }),
    // `from` is ambiguous in the docs (customer id or channel id): any non-empty string.
    checkString(body, 'from'),
    checkString(body, 'interIdx', { pattern: DIGITS, patternHint: 'must be the interIdx string of a ROBOT message' }),
  );
  if (issue) {
    return rejectWith(ctx, issue, result(ResultCode.FAILURE, `${InferredDesc.feedbackParamError}: ${issue.message}`));
  }
  const content = str(body, 'feedbackContent') ?? '';
  if (feedback === 0 && content.trim() === '') {
    return ok(result(FeedbackResultCode.CONTENT_REQUIRED, 'feedbackContent is required when feedback is 0'));
  }
  const session = world.engine.find(ctx.userId)?.session;
  // The robot session must still exist: current, or ended by the server while with the robot,
  // but never after the customer's own DISCONNECT.
  const rateable = session !== undefined
    && !session.customerDisconnected
    && (session.state === 'robot' || (session.state === 'ended' && session.servedBy === 'robot'));
  if (!session || !rateable) return ok(result(FeedbackResultCode.NOT_ROBOT_SESSION, InferredDesc.notRobotSession));
  const interIdx = body['interIdx'] as string;
  if (Number(interIdx) < 1 || Number(interIdx) > session.interIdx) {
    ctx.violate('invalid-value', `interIdx "${interIdx}" was never sent by the robot (last is "${session.interIdx}")`);
  }
  session.feedback = { at: world.config.now(), feedback, feedbackContent: content === '' ? null : content, interIdx };
  return ok(result(FeedbackResultCode.SUCCESS, InferredDesc.feedbackSaved));
};

export const doLeaveMessage: Handler = (ctx, world) => {
  const body: WireFields<LeaveMessageRequest> = ctx.body;
  const issue = firstIssue(
    checkString(body, 'callId', { maxLength: LIMITS.userIdMaxLength }),
    checkString(body, 'caller', { pattern: PHONE, patternHint: 'must be a phone number' }),
    checkString(body, 'leaveMessage'),
    checkString(body, 'channel', { equals: CHANNEL }),
  );
  if (issue) {
    const code = conventionCode(issue);
    return rejectWith(ctx, issue, result(code, code === ResultCode.PARAMETER_MISSING ? InferredDesc.parameterMissing : ResultDesc.leaveMessageParamsError));
  }
  const user = world.engine.user(ctx.userId);
  user.leaveMessages.push({ at: world.config.now(), caller: body['caller'] as string, message: body['leaveMessage'] as string });
  return ok(result(ResultCode.SUCCESS, ResultDesc.leaveMessageSaved));
};
