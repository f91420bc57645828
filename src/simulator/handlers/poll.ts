/** poll: GET long poll (docs/protocol.md#46-poll). */
import { CHANNEL, ResultCode, ResultDesc, type PollQuery, type PollResponse, type WireFields } from '../../client/protocol.js';
import { checkString, firstIssue } from '../validate.js';
import { ok, rejectWith, type Handler } from './context.js';

export const poll: Handler = async (ctx, world) => {
  const query: WireFields<PollQuery> = Object.fromEntries(ctx.query);
  const issue = firstIssue(checkString(query, 'receiverId'), checkString(query, 'channel', { equals: CHANNEL }));
  // No failure codes are documented for poll; "3" follows the cross-API convention, and the
  // docs say resultDesc is absent on failure.
  if (issue) return rejectWith(ctx, issue, { resultCode: ResultCode.PARAMETER_ERROR } satisfies PollResponse);
  const messages = await world.engine.poll(world.engine.user(ctx.userId), {
    // Any value but "true" means no READ notices.
    isNeedRead: ctx.query.get('isNeedRead' satisfies keyof PollQuery) === 'true',
    duplicate: ctx.fault !== undefined && 'duplicateDelivery' in ctx.fault,
    violate: ctx.violate,
    onAbandon: ctx.onAbandon,
  });
  const body: PollResponse = { resultCode: ResultCode.SUCCESS, resultDesc: ResultDesc.pollSuccess, downlinkMessages: messages };
  return ok(body);
};
