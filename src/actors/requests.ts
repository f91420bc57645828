/** One-shot calls: authenticate, history, phrase suggestions, survey, leave-message. */
import { fromPromise } from 'xstate';
import type { AiccClient, HistoryMessage, ResultInfo, SurveyMode } from '../client/types.js';
import type {
  FetchSurveyModeInput,
  LeaveMessageActorInput,
  LoadHistoryInput,
  SubmitAgentSurveyInput,
  SubmitRobotFeedbackInput,
  SuggestPhrasesInput,
  SuggestPhrasesOutput,
} from '../../machines/chatSession.types.js';

export function authenticateActor(client: AiccClient) {
  return fromPromise<void, void>(({ signal }) => client.authenticate({ signal }));
}

export function loadHistoryActor(client: AiccClient) {
  return fromPromise<HistoryMessage[], LoadHistoryInput>(({ input, signal }) =>
    client.queryHistoryChatMessage({ userId: input.userId, channelId: input.channelId, limit: input.limit }, { signal }),
  );
}

export function suggestPhrasesActor(client: AiccClient) {
  return fromPromise<SuggestPhrasesOutput, SuggestPhrasesInput>(async ({ input, signal }) => {
    const phrases = await client.queryPhraseByKeyword({ text: input.text, locale: input.locale }, { signal });
    return { text: input.text, phrases };
  });
}

export function fetchSurveyModeActor(client: AiccClient) {
  return fromPromise<SurveyMode, FetchSurveyModeInput>(({ input, signal }) =>
    client.getSatisfactionSurveyMode({ language: input.language }, { signal }),
  );
}

export function submitAgentSurveyActor(client: AiccClient) {
  return fromPromise<ResultInfo, SubmitAgentSurveyInput>(({ input, signal }) => {
    const request: Parameters<AiccClient['saveSatisfaction']>[0] = {
      userId: input.userId,
      channelConfigId: input.channelId,
      evaluation: input.evaluation,
    };
    if (input.comment !== undefined) request.comment = input.comment;
    if (input.npsScore !== undefined) request.npsScore = input.npsScore;
    if (input.fcr !== undefined) request.fcr = input.fcr;
    return client.saveSatisfaction(request, { signal });
  });
}

export function submitRobotFeedbackActor(client: AiccClient) {
  return fromPromise<ResultInfo, SubmitRobotFeedbackInput>(({ input, signal }) => {
    const request: Parameters<AiccClient['feedbackSatisfaction']>[0] = {
      satisfied: input.satisfied,
      from: input.userId,
      interIdx: input.interIdx,
    };
    if (input.comment !== undefined) request.content = input.comment;
    return client.feedbackSatisfaction(request, { signal });
  });
}

export function leaveMessageActor(client: AiccClient) {
  return fromPromise<ResultInfo, LeaveMessageActorInput>(({ input, signal }) =>
    client.doLeaveMessage({ userId: input.userId, caller: input.caller, message: input.message }, { signal }),
  );
}
