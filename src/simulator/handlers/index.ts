/** The route table: one entry per documented API, paths and methods from protocol.ts. */
import {
  API_PATHS,
  type LeaveMessageRequest,
  type PollQuery,
  type QueryHistoryRequest,
  type QueryQueueInfoRequest,
  type SendMessageRequest,
  type WireFields,
} from '../../client/protocol.js';
import type { Route } from './context.js';
import { downloadFileStream, uploadFileStream } from './files.js';
import { poll } from './poll.js';
import { queryHistoryChatMessage, queryPhraseByKeyword, queryQueueInfo } from './queries.js';
import { send, sendAsync } from './send.js';
import {
  doLeaveMessage,
  feedbackSatisfaction,
  getSatisfactionSurveyMode,
  satisfactionUser,
  saveSatisfaction,
} from './survey.js';
import { applyToken, tokenByAkSk } from './tokens.js';

export const ROUTES: readonly Route[] = [
  { api: 'tokenByAkSk', method: 'POST', auth: 'none', handle: tokenByAkSk },
  { api: 'applyToken', method: 'POST', auth: 'gateway', handle: applyToken },
  { api: 'queryHistoryChatMessage', method: 'POST', auth: 'token', identity: (b: WireFields<QueryHistoryRequest>) => b['userId'], handle: queryHistoryChatMessage },
  { api: 'send', method: 'POST', auth: 'token', identity: (b: WireFields<SendMessageRequest>) => b['from'], handle: send },
  { api: 'sendAsync', method: 'POST', auth: 'token', identity: (b: WireFields<SendMessageRequest>) => b['from'], handle: sendAsync },
  // callId is the user id here, despite its name.
  { api: 'doLeaveMessage', method: 'POST', auth: 'token', identity: (b: WireFields<LeaveMessageRequest>) => b['callId'], handle: doLeaveMessage },
  { api: 'poll', method: 'GET', auth: 'token', identity: (_b, q) => q.get('receiverId' satisfies keyof PollQuery) ?? undefined, handle: poll },
  { api: 'downloadFileStream', method: 'POST', auth: 'token', handle: downloadFileStream },
  { api: 'queryQueueInfo', method: 'POST', auth: 'token', identity: (b: WireFields<QueryQueueInfoRequest>) => b['userId'], handle: queryQueueInfo },
  { api: 'uploadFileStream', method: 'POST', auth: 'token', handle: uploadFileStream },
  { api: 'queryPhraseByKeyword', method: 'POST', auth: 'token', handle: queryPhraseByKeyword },
  { api: 'getSatisfactionSurveyMode', method: 'POST', auth: 'token', handle: getSatisfactionSurveyMode },
  { api: 'saveSatisfaction', method: 'POST', auth: 'token', identity: satisfactionUser, handle: saveSatisfaction },
  // feedbacksatisfaction's `from` is ambiguous (docs/protocol.md#612-feedbacksatisfaction-from): no identity check.
  { api: 'feedbackSatisfaction', method: 'POST', auth: 'token', handle: feedbackSatisfaction },
];

export const ROUTES_BY_PATH: ReadonlyMap<string, Route> = new Map(ROUTES.map((r) => [API_PATHS[r.api], r]));
