/**
 * The named actors of the chat-session machine, bound to one AiccClient (or a lookup of it):
 * `machine.provide({ actors: createChatActors(client) })`.
 */
import type { ChatSessionActorContracts } from '../../machines/chatSession.contracts.js';
import { downloadFileActor, uploadFileActor } from './files.js';
import { pollLoopActor } from './pollLoop.js';
import {
  authenticateActor,
  fetchSurveyModeActor,
  leaveMessageActor,
  loadHistoryActor,
  submitAgentSurveyActor,
  submitRobotFeedbackActor,
  suggestPhrasesActor,
} from './requests.js';
import { defaultSleep, type ActorEnvironment, type Sleep } from './timing.js';
import {
  connectActor,
  disconnectActor,
  requestAgentActor,
  sendMessageActor,
  sendReadReceiptActor,
  sendTypingActor,
} from './uplink.js';
import { watchQueueActor } from './watchQueue.js';
import type { ClientSource } from './source.js';

/** @deprecated The same type as ChatSessionActorContracts (the actor map the machine expects); use that name. */
export type ChatActors = ChatSessionActorContracts;

export interface ChatActorsOptions {
  /** Uniform [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** How the long-running actors wait. Default: setTimeout, cut short by the AbortSignal. */
  sleep?: Sleep;
}

/** `client`: the session's client, or a lookup by actor system (one machine for many sessions). */
export function createChatActors(client: ClientSource, options: ChatActorsOptions = {}): ChatSessionActorContracts {
  const env: ActorEnvironment = {
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? defaultSleep,
  };
  return {
    authenticate: authenticateActor(client),
    loadHistory: loadHistoryActor(client),
    connect: connectActor(client),
    pollLoop: pollLoopActor(client, env),
    watchQueue: watchQueueActor(client, env),
    sendMessage: sendMessageActor(client),
    uploadFile: uploadFileActor(client),
    downloadFile: downloadFileActor(client),
    suggestPhrases: suggestPhrasesActor(client),
    sendTyping: sendTypingActor(client),
    requestAgent: requestAgentActor(client),
    sendReadReceipt: sendReadReceiptActor(client),
    fetchSurveyMode: fetchSurveyModeActor(client),
    submitAgentSurvey: submitAgentSurveyActor(client),
    submitRobotFeedback: submitRobotFeedbackActor(client),
    disconnect: disconnectActor(client, env),
    leaveMessage: leaveMessageActor(client),
  };
}

export { clientOf, type ClientSource, type SessionSystem } from './source.js';
export { fullJitterBackoff, defaultSleep, type Sleep, type ActorEnvironment } from './timing.js';
export { inServerOrder, historyAsDownlink, CATCH_UP_PAGE, CATCH_UP_MAX_PAGES, CATCH_UP_SKEW_MS } from './catchUp.js';
export {
  authenticateActor,
  connectActor,
  disconnectActor,
  downloadFileActor,
  fetchSurveyModeActor,
  leaveMessageActor,
  loadHistoryActor,
  pollLoopActor,
  requestAgentActor,
  sendMessageActor,
  sendReadReceiptActor,
  sendTypingActor,
  submitAgentSurveyActor,
  submitRobotFeedbackActor,
  suggestPhrasesActor,
  uploadFileActor,
  watchQueueActor,
};
