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
} from '../../machines/chatSession.contracts.js';
import { clientOf, type ClientSource } from './source.js';

export function authenticateActor(source: ClientSource) {
  return fromPromise<void, void>(({ signal, system }) => clientOf(source, system).authenticate({ signal }));
}

export function loadHistoryActor(source: ClientSource) {
  return fromPromise<HistoryMessage[], LoadHistoryInput>(({ input, signal, system }) =>
    clientOf(source, system).queryHistoryChatMessage({ userId: input.userId, channelId: input.channelId, limit: input.limit }, { signal }),
  );
}

export function suggestPhrasesActor(source: ClientSource) {
  return fromPromise<SuggestPhrasesOutput, SuggestPhrasesInput>(async ({ input, signal, system }) => {
    const phrases = await clientOf(source, system).queryPhraseByKeyword({ text: input.text, locale: input.locale }, { signal });
    return { text: input.text, phrases };
  });
}

export function fetchSurveyModeActor(source: ClientSource) {
  return fromPromise<SurveyMode, FetchSurveyModeInput>(({ input, signal, system }) =>
    clientOf(source, system).getSatisfactionSurveyMode({ language: input.language }, { signal }),
  );
}

export function submitAgentSurveyActor(source: ClientSource) {
  return fromPromise<ResultInfo, SubmitAgentSurveyInput>(({ input, signal, system }) => {
    const request: Parameters<AiccClient['saveSatisfaction']>[0] = {
      userId: input.userId,
      channelConfigId: input.channelId,
      evaluation: input.evaluation,
    };
    if (input.comment !== undefined) request.comment = input.comment;
    if (input.npsScore !== undefined) request.npsScore = input.npsScore;
    if (input.fcr !== undefined) request.fcr = input.fcr;
    return clientOf(source, system).saveSatisfaction(request, { signal });
  });
}

export function submitRobotFeedbackActor(source: ClientSource) {
  return fromPromise<ResultInfo, SubmitRobotFeedbackInput>(({ input, signal, system }) => {
    const request: Parameters<AiccClient['feedbackSatisfaction']>[0] = {
      satisfied: input.satisfied,
      from: input.userId,
      interIdx: input.interIdx,
    };
    if (input.comment !== undefined) request.content = input.comment;
    return clientOf(source, system).feedbackSatisfaction(request, { signal });
  });
}

export function leaveMessageActor(source: ClientSource) {
  return fromPromise<ResultInfo, LeaveMessageActorInput>(({ input, signal, system }) =>
    clientOf(source, system).doLeaveMessage({ userId: input.userId, caller: input.caller, message: input.message }, { signal }),
  );
}
