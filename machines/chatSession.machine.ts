/**
 * The customer side of an AICC (CC-Messaging) chat as one statechart.
 *
 * The config below is one object literal; every action, guard, actor and delay is referenced by
 * name, implemented in `setup(...)`. What `queuing` and `chatting` share, and the two survey
 * states, are written once (the constants and `surveyState` above the config) and spread in:
 * `machine.config` and its JSON export hold them written out. Effects are placeholder actors
 * (chatSession.contracts.ts): hosts supply real ones with
 * `machine.provide({ actors: createChatActors(client) })` (or use `createChatSession`). This module performs no I/O and keeps no module-level state.
 *
 * See docs/statechart.md for every state, event, end reason and decision.
 */
import { setup, stateIn } from 'xstate';
import { chatSessionActions } from './chatSession.actions.js';
import { createInitialContext, sessionOutput } from './chatSession.context.js';
import { chatSessionActorContracts } from './chatSession.contracts.js';
import { authRetryDelay, connectRetryDelay, sendRetryDelay, suggestionDebounce, surveyModeRetryDelay, typingThrottle } from './chatSession.delays.js';
import { guards } from './chatSession.guards.js';
import {
  connectInput,
  disconnectInput,
  fetchSurveyModeInput,
  leaveMessageInput,
  loadHistoryInput,
  pollLoopInput,
  requestAgentInput,
  sendReadReceiptInput,
  sendTypingInput,
  submitAgentSurveyInput,
  submitRobotFeedbackInput,
  suggestPhrasesInput,
  watchQueueInput,
} from './chatSession.inputs.js';
import type { ChatSessionContext, ChatSessionEmitted, ChatSessionEvent, ChatSessionInput, ChatSessionOutput, EndReason } from './chatSession.types.js';

/** The parameterised `setEndReason` action: how the chat ends on this transition. */
function endWith<const TReason extends EndReason>(reason: TReason) {
  return { type: 'setEndReason', params: { reason } } as const;
}

// Transition blocks that `queuing` and `chatting` share (spread in, so the config and its JSON
// export read as if written out in both).

/** A text the customer sends while connected: queued in the outbox, sent once served. */
const composeText = {
  'message.send': [{ guard: 'isValidText', actions: 'enqueueText' }, { actions: 'rejectText' }],
} as const;

/** Files and retries the customer sends while connected (queued like texts). */
const composeOther = {
  'file.send': [{ guard: 'isValidFile', actions: ['enqueueFile', 'startUpload'] }, { actions: 'rejectFile' }],
  'message.retry': [{ guard: 'isRetryableMessage', actions: 'requeueMessage' }, { actions: 'rejectRetry' }],
} as const;

/** A poll batch with the server's DISCONNECT: the agent's, or any other (SYSTEM, ROBOT). */
const serverEnds = [
  { guard: 'hasAgentDisconnect', target: 'ending', actions: ['receiveMessages', endWith('agent-ended')] },
  { guard: 'hasServerDisconnect', target: 'ending', actions: ['receiveMessages', endWith('session-released')] },
] as const;

/** Given up on the network: DISCONNECT anyway (best effort), so no agent waits for a ghost. */
const networkLost = { target: '#chatSession.disconnecting', actions: ['setPollFailure', endWith('network-lost')] } as const;

/**
 * `survey-agent` and `survey-robot`: a form, its submission, then DISCONNECT (skipping too). Each
 * state's description stays in the config literal, where the build strips it (scripts/build.ts).
 */
function surveyState<const TForm, const TId extends string, const TSrc extends string, TInput>(survey: {
  form: TForm;
  submit: { id: TId; src: TSrc; input: TInput };
}) {
  const { id, src, input } = survey.submit;
  return {
    initial: 'form',
    states: {
      form: { on: { 'survey.submit': survey.form } },
      submitting: {
        invoke: {
          id,
          src,
          input,
          onDone: { target: '#chatSession.disconnecting', actions: 'markSurveySubmitted' },
          onError: { target: 'form', actions: 'setErrorFromActor' },
        },
      },
    },
    on: {
      'survey.skip': { target: '#chatSession.disconnecting' },
      'chat.end': { target: '#chatSession.disconnecting' },
    },
  } as const;
}

export const chatSessionMachine = setup({
  types: {
    context: {} as ChatSessionContext,
    events: {} as ChatSessionEvent,
    input: {} as ChatSessionInput,
    output: {} as ChatSessionOutput,
    emitted: {} as ChatSessionEmitted,
  },
  actors: chatSessionActorContracts,
  guards: {
    ...guards,
    /** The poll loop runs (it is invoked by `connected`). */
    isPolling: stateIn('#chatSession.connected'),
    /** The outbox holds its head back after a refused send (`outbox.flush` resends it now). */
    isResendWaiting: stateIn('#chatSession.connected.chatting.outbox.resending'),
  },
  delays: { authRetryDelay, connectRetryDelay, sendRetryDelay, suggestionDebounce, surveyModeRetryDelay, typingThrottle },
  actions: chatSessionActions,
}).createMachine({
  id: 'chatSession',
  context: createInitialContext,
  initial: 'auth',
  output: sessionOutput,
  on: {
    'connection.offline': { actions: { type: 'setConnectivity', params: { online: false } } },
    'connection.online': { actions: [{ type: 'setConnectivity', params: { online: true } }, 'flushOutbox'] },
    'page.hidden': { actions: { type: 'setConnectivity', params: { pageVisible: false } } },
    'page.visible': { actions: { type: 'setConnectivity', params: { pageVisible: true } } },
    // A value createChatSession's `send` refused: only context.error changes.
    'event.rejected': { actions: 'rejectEvent' },
  },
  states: {
    auth: {
      description: 'Make sure a ccmessaging-token is held (client.authenticate).',
      invoke: {
        id: 'authenticate',
        src: 'authenticate',
        onDone: [
          { guard: 'shouldLoadHistory', target: 'history', actions: ['clearError', 'resetRetryCounts'] },
          { target: 'connecting', actions: ['clearError', 'resetRetryCounts'] },
        ],
        onError: [
          { guard: 'canRetryAuth', target: 'auth-retry', actions: ['setErrorFromActor', 'countAuthFailure'] },
          { target: 'disconnected', actions: ['setErrorFromActor', endWith('auth-failed')] },
        ],
      },
      on: {
        'chat.end': { target: 'disconnected', actions: endWith('customer-ended') },
      },
    },
    'auth-retry': {
      description: 'Getting a token failed transiently (no answer, 5xx, 429, flow control): wait (backoff with jitter) or retry now. context.error says why.',
      after: { authRetryDelay: { target: 'auth' } },
      on: {
        'request.retry': { target: 'auth' },
        'session.resumed': { target: 'auth' },
        'chat.end': { target: 'disconnected', actions: endWith('customer-ended') },
      },
    },
    history: {
      description: 'Load earlier messages (queryHistoryChatMessage). A failure is not fatal.',
      invoke: {
        id: 'loadHistory',
        src: 'loadHistory',
        input: loadHistoryInput,
        onDone: { target: 'connecting', actions: 'mergeHistory' },
        onError: { target: 'connecting', actions: 'setErrorFromActor' },
      },
      on: {
        'chat.end': { target: 'disconnected', actions: endWith('customer-ended') },
      },
    },
    connecting: {
      description: 'send / sendAsync CONNECT. A robot answer goes straight to chatting.',
      entry: 'markConnectAttempt',
      invoke: {
        id: 'connect',
        src: 'connect',
        input: connectInput,
        onDone: [
          {
            guard: 'isRobotAnswer',
            target: 'connected.chatting',
            actions: ['markServedByRobot', 'markConnected', 'relayConnectMessages', 'clearError'],
          },
          { target: 'connected.queuing', actions: ['markConnected', 'relayConnectMessages', 'clearError'] },
        ],
        onError: [
          { guard: 'isAfterHours', target: 'leave-message', actions: ['setErrorFromActor', endWith('after-hours')] },
          { guard: 'isBusinessError', target: 'leave-message', actions: ['setErrorFromActor', endWith('connect-failed')] },
          { guard: 'canRetryConnect', target: 'connect-retry', actions: ['setErrorFromActor', 'noteConnectFailure', 'countConnectFailure'] },
          {
            // A CONNECT without an answer may have opened a session: DISCONNECT closes it (harmless
            // when there is none), so no agent is offered a customer who is gone.
            target: 'disconnecting',
            actions: ['setErrorFromActor', 'noteConnectFailure', endWith('connect-failed')],
          },
        ],
      },
      on: {
        // Leaving stops the CONNECT in flight: its answer is lost to us, but the session it may
        // have opened can have spoken already, so DISCONNECT's catch-up looks (noteConnectAbandoned).
        'chat.end': { target: 'disconnecting', actions: ['noteConnectAbandoned', endWith('customer-ended')] },
      },
    },
    'connect-retry': {
      description: 'CONNECT failed without an answer; wait (exponential backoff) or retry now.',
      after: { connectRetryDelay: { target: 'connecting' } },
      on: {
        'request.retry': { target: 'connecting' },
        'session.resumed': { target: 'connecting' },
        // The failed CONNECT may have opened a session after all: close it.
        'chat.end': { target: 'disconnecting', actions: endWith('customer-ended') },
      },
    },
    'leave-message': {
      description: 'No agent could be reached: offer doLeaveMessage. endReason holds why, until a message is left.',
      entry: 'failUnsentMessages',
      initial: 'form',
      states: {
        form: {
          on: {
            'leaveMessage.submit': [
              { guard: 'isValidLeaveMessage', target: 'submitting', actions: 'storeLeaveMessage' },
              { actions: 'rejectLeaveMessage' },
            ],
          },
        },
        submitting: {
          invoke: {
            id: 'leaveMessage',
            src: 'leaveMessage',
            input: leaveMessageInput,
            onDone: { target: '#chatSession.disconnected', actions: ['clearLeaveMessage', 'clearError', endWith('message-left')] },
            onError: { target: 'form', actions: 'setErrorFromActor' },
          },
        },
      },
      on: {
        'leaveMessage.skip': { target: 'disconnected', actions: 'clearLeaveMessage' },
        'chat.end': { target: 'disconnected', actions: 'clearLeaveMessage' },
      },
    },
    connected: {
      description:
        'CONNECT succeeded. One poll loop keeps the session alive. The file workers (uploadFile, downloadFile) run here only while a transfer of their kind is pending: started by startUpload / startDownload, stopped after the last.',
      initial: 'queuing',
      exit: ['failUnsentMessages', 'stopFileWorkers'],
      invoke: {
        id: 'pollLoop',
        src: 'pollLoop',
        input: pollLoopInput,
        onError: { target: 'disconnected', actions: ['setErrorFromActor', endWith('network-lost')] },
      },
      on: {
        'poll.messages': { actions: 'receiveMessages' },
        'poll.error': { actions: 'recordPollError' },
        'session.gone': { actions: 'noteServerGone' },
        'upload.ready': { actions: ['welcomeUploadWorker', 'stopIdleUploadWorker'] },
        'upload.progress': { actions: 'recordUploadProgress' },
        'upload.done': { actions: ['completeUpload', 'stopIdleUploadWorker'] },
        'upload.failed': { actions: ['failUpload', 'stopIdleUploadWorker'] },
        'xstate.error.actor.uploadFile': { actions: ['failOrphanedUploads', 'setErrorFromActor', 'stopIdleUploadWorker'] },
        'download.ready': { actions: ['welcomeDownloadWorker', 'stopIdleDownloadWorker'] },
        'download.done': { actions: ['completeDownload', 'stopIdleDownloadWorker'] },
        'download.failed': { actions: ['failDownload', 'stopIdleDownloadWorker'] },
        'xstate.error.actor.downloadFile': { actions: 'setErrorFromActor' },
        'file.download': [{ guard: 'isDownloadable', actions: 'startDownload' }, { actions: 'rejectDownload' }],
      },
      states: {
        queuing: {
          description: 'Waiting for an agent: queryQueueInfo every queueIntervalMs. Messages are held in the outbox.',
          // sendAsync only acknowledges CONNECT, and queryQueueInfo is valid once CONNECT succeeded:
          // the watcher waits for `connect.confirmed` (the first poll answer) before it asks.
          invoke: { id: 'watchQueue', src: 'watchQueue', input: watchQueueInput, onError: {} },
          exit: 'clearQueue',
          on: {
            'queue.updated': { actions: 'setQueueInfo' },
            'queue.served': { target: 'chatting', actions: 'markServedByAgent' },
            'queue.ended': { target: 'ending', actions: endWith('session-released'), },
            'poll.messages': [
              { guard: 'hasOfflineDisconnect', target: '#chatSession.leave-message', actions: ['receiveMessages', endWith('session-released')] },
              ...serverEnds,
              { guard: 'hasAgentMessage', target: 'chatting', actions: 'receiveMessages' },
              { guard: 'hasRobotMessage', target: 'chatting', actions: 'receiveMessages' },
              { actions: ['receiveMessages', 'confirmConnect'] },
            ],
            ...composeText,
            ...composeOther,
            'chat.end': { target: 'ending', actions: endWith('customer-ended') },
            'poll.failed': networkLost,
            // No `session.lost` here: the poll loop checks liveness only after an agent served
            // (pollLoop.ts), and while queuing watchQueue reports the end itself (queue.ended).
          },
        },
        chatting: {
          description: 'Served by a robot or an agent (context.servedBy). Independent regions run side by side.',
          type: 'parallel',
          // One worker sends the outbox's CHATs for the whole chat (outbox.sending tells it what).
          invoke: { id: 'sendMessage', src: 'sendMessage', onError: { actions: ['setErrorFromActor', 'failUnsentMessages'] } },
          exit: 'interruptSending',
          on: {
            'poll.messages': [
              ...serverEnds,
              // Messages arrived: the connection works, so resend now what waits for it. Only then:
              // an `outbox.flush` nobody handles is still a microstep (test/machine/work.test.ts).
              { guard: 'isResendWaiting', actions: ['receiveMessages', 'flushOutbox'] },
              { actions: 'receiveMessages' },
            ],
            // `message.send` is the outbox region's: one region handles it, so a text is queued once.
            ...composeOther,
            'chat.end': [
              // The server had already ended (its DISCONNECT lost or still queued): say so, not "you ended".
              { guard: 'hasServerGone', target: 'ending', actions: ['receiveServerEnd', 'markSessionLost', endWith('session-released')] },
              { target: 'ending', actions: endWith('customer-ended') },
            ],
            'poll.failed': networkLost,
            'session.lost': { target: 'ending', actions: ['receiveMessages', 'markSessionLost', endWith('session-released')] },
          },
          states: {
            outbox: {
              description: 'FIFO, one message on the wire at a time; held while offline; refused sends resent in order.',
              initial: 'idle',
              on: composeText,
              states: {
                idle: {
                  on: {
                    // Nothing queued, online: on the wire in this step (no eventless step after it).
                    'message.send': { guard: 'canSendTextAtOnce', target: 'sending', actions: 'enqueueTextSending' },
                  },
                  always: { guard: 'hasSendableMessage', target: 'sending', actions: 'markHeadSending' },
                },
                sending: {
                  entry: 'sendHead',
                  on: {
                    'message.sent': { target: 'idle', actions: 'markSent' },
                    'message.sendFailed': [
                      {
                        guard: 'isSessionGone',
                        target: '#chatSession.connected.ending',
                        actions: ['markHeadFailed', 'setErrorFromActor', 'markSessionLost', endWith('session-released')],
                      },
                      { guard: 'isResendable', target: 'resending', actions: 'requeueHeadForResend' },
                      { target: 'idle', actions: 'markHeadFailed' },
                    ],
                  },
                },
                resending: {
                  description: 'The head certainly did not arrive: it stays first and is resent after a backoff, or at once when the connection is back.',
                  after: { sendRetryDelay: { target: 'idle' } },
                  on: {
                    'outbox.flush': { target: 'idle' },
                    'session.resumed': { target: 'idle' },
                  },
                },
              },
            },
            transfer: {
              description: 'Robot to agent (TRANS2AGENT). Accepted: back to queuing.',
              initial: 'idle',
              states: {
                idle: {
                  on: {
                    'agent.request': [
                      { guard: 'isServedByRobot', target: 'requesting', actions: 'clearError' },
                      { actions: 'rejectAgentRequest' },
                    ],
                  },
                },
                requesting: {
                  invoke: {
                    id: 'requestAgent',
                    src: 'requestAgent',
                    input: requestAgentInput,
                    onDone: { target: '#chatSession.connected.queuing', actions: 'markAwaitingAgent' },
                    onError: [
                      {
                        // "session keep touch failed": the robot session is gone (its DISCONNECT
                        // may have been lost in transit; robot sessions have no other liveness check).
                        guard: 'isSessionGone',
                        target: '#chatSession.connected.ending',
                        actions: ['setErrorFromActor', 'markSessionLost', endWith('session-released')],
                      },
                      { target: 'idle', actions: 'setErrorFromActor' },
                    ],
                  },
                },
              },
            },
            suggestions: {
              description: 'Phrase suggestions for the draft, debounced (queryPhraseByKeyword).',
              initial: 'idle',
              on: {
                'input.change': [
                  { guard: 'isBlankInput', target: '.idle', actions: ['storeDraft', 'clearSuggestions'] },
                  { target: '.debouncing', actions: 'storeDraft' },
                ],
              },
              states: {
                idle: {},
                debouncing: {
                  after: {
                    suggestionDebounce: [{ guard: 'hasDraft', target: 'fetching' }, { target: 'idle' }],
                  },
                  on: { 'session.resumed': { target: 'idle' } },
                },
                fetching: {
                  invoke: {
                    id: 'suggestPhrases',
                    src: 'suggestPhrases',
                    input: suggestPhrasesInput,
                    onDone: { target: 'idle', actions: 'setSuggestions' },
                    onError: { target: 'idle', actions: 'clearSuggestions' },
                  },
                },
              },
            },
            typing: {
              description: 'INPUT notices to the agent, at most one per typingThrottleMs.',
              initial: 'idle',
              states: {
                idle: {
                  on: { 'input.change': { guard: 'shouldSendTyping', target: 'throttled' } },
                },
                throttled: {
                  invoke: { id: 'sendTyping', src: 'sendTyping', input: sendTypingInput, onError: {} },
                  after: { typingThrottle: { target: 'idle' } },
                  on: { 'session.resumed': { target: 'idle' } },
                },
              },
            },
            receipts: {
              description: 'READ receipts for agent messages, on messages.markRead.',
              initial: 'idle',
              states: {
                idle: {
                  on: { 'messages.markRead': { guard: 'hasUnreadAgentMessages', target: 'sending' } },
                },
                sending: {
                  invoke: {
                    id: 'sendReadReceipt',
                    src: 'sendReadReceipt',
                    input: sendReadReceiptInput,
                    onDone: { target: 'idle', actions: 'acknowledgeRead' },
                    onError: { target: 'idle' },
                  },
                },
              },
            },
          },
        },
        ending: {
          description: 'The conversation is over. Served? Ask getsatisfactionsurveymode which survey to show.',
          entry: 'failUnsentMessages',
          initial: 'checking',
          states: {
            checking: {
              always: [{ guard: 'hasPartyToRate', target: 'fetching-survey' }, { target: '#chatSession.disconnecting' }],
            },
            'fetching-survey': {
              invoke: {
                id: 'fetchSurveyMode',
                src: 'fetchSurveyMode',
                input: fetchSurveyModeInput,
                onDone: [
                  { guard: 'isAgentSurvey', target: '#chatSession.connected.survey-agent', actions: ['storeSurvey', 'clearError', 'resetRetryCounts'] },
                  { guard: 'isRobotSurvey', target: '#chatSession.connected.survey-robot', actions: ['storeSurvey', 'clearError', 'resetRetryCounts'] },
                  { target: '#chatSession.disconnecting', actions: 'clearError' },
                ],
                onError: [
                  { guard: 'canRetrySurveyMode', target: 'survey-mode-retry', actions: ['setErrorFromActor', 'countSurveyModeFailure'] },
                  { target: 'survey-unavailable', actions: 'setErrorFromActor' },
                ],
              },
            },
            'survey-mode-retry': {
              description: 'getsatisfactionsurveymode failed transiently: wait (backoff with jitter) or retry now.',
              after: { surveyModeRetryDelay: { target: 'fetching-survey' } },
              on: {
                'request.retry': { target: 'fetching-survey' },
                'session.resumed': { target: 'fetching-survey' },
              },
            },
            'survey-unavailable': {
              description: 'Which survey to show could not be learned (context.error says why). The UI decides: retry, or survey.skip to end without one.',
              on: {
                // The customer asked again: a fresh round of automatic retries.
                'request.retry': { target: 'fetching-survey', actions: 'resetRetryCounts' },
                'survey.skip': { target: '#chatSession.disconnecting' },
              },
            },
          },
          on: {
            'chat.end': { target: '#chatSession.disconnecting' },
          },
        },
        'survey-agent': {
          description: 'Rate the agent (saveSatisfaction), before DISCONNECT.',
          ...surveyState({
            form: [{ guard: 'isValidAgentSurvey', target: 'submitting', actions: 'storeAgentSurveyAnswer' }, { actions: 'rejectAgentSurvey' }],
            submit: { id: 'submitAgentSurvey', src: 'submitAgentSurvey', input: submitAgentSurveyInput },
          }),
        },
        'survey-robot': {
          description: 'Rate the robot (feedbacksatisfaction with the last interIdx), before DISCONNECT.',
          ...surveyState({
            form: [{ guard: 'isValidRobotSurvey', target: 'submitting', actions: 'storeRobotSurveyAnswer' }, { actions: 'rejectRobotSurvey' }],
            submit: { id: 'submitRobotFeedback', src: 'submitRobotFeedback', input: submitRobotFeedbackInput },
          }),
        },
      },
    },
    disconnecting: {
      description: 'send DISCONNECT (always: harmless when the server already ended it). Polling has stopped.',
      invoke: {
        id: 'disconnect',
        src: 'disconnect',
        input: disconnectInput,
        onDone: { target: 'disconnected', actions: 'mergeFinalMessages' },
        onError: { target: 'disconnected', actions: 'mergeFinalMessages' },
      },
    },
    disconnected: {
      description: 'Final. output = { endReason, transcript, servedBy, ... }.',
      type: 'final',
    },
  },
});

export type ChatSessionMachine = typeof chatSessionMachine;
