/**
 * Surviving mutants, each classified (docs/testing.md, "Mutation testing"). A survivor listed in
 * neither map fails the run; so does an entry whose mutant was killed (stale).
 *
 * EQUIVALENT: no test can tell the mutant from the shipped system, with the reason.
 * MISSING: a test that would kill it is missing and not written yet: what it would take. These
 * count against the score.
 */
export const EQUIVALENT: Readonly<Record<string, string>> = {
  'swap-branches:chatSession.connecting|xstate.error.actor.connect|1':
    'isBusinessError (kind business) and canRetryConnect (kind network, timeout, http, protocol or aborted) never hold for the same error, so their order does not matter',
  'swap-branches:chatSession.connected.queuing|poll.messages|0':
    'an isOfflineStatus DISCONNECT is a SYSTEM one (docs/protocol.md, "Session ended by the server") and a session ends once, so no batch has both an offline and an AGENT DISCONNECT',
  'swap-branches:chatSession.connected.chatting.outbox.sending|message.sendFailed|0':
    'isSessionGone needs a business error (13, "session keep touch failed"); isResendable needs sendFailure() = resend, which a business error never is (it is "failed")',
  'swap-branches:chatSession.connected.ending.fetching-survey|xstate.done.actor.fetchSurveyMode|0':
    "isAgentSurvey needs servedBy agent, isRobotSurvey servedBy robot: they never hold together, so their order does not matter",
  'drop-action:chatSession.leave-message|entry#0':
    "failUnsentMessages on entering leave-message: it is entered from connecting, before any message can be queued (message.send is handled in `connected` only), or from queuing, whose exit from `connected` has just run failUnsentMessages",
  'drop-action:chatSession.auth|xstate.done.actor.authenticate|0#1':
    'resetRetryCounts when auth succeeds (to history): only auth-retry enters auth, so the authAttempts it resets is never read again (authRetryDelay and canRetryAuth are read in auth and auth-retry only), and surveyModeAttempts is still 0 so early',
  'drop-action:chatSession.auth|xstate.done.actor.authenticate|1#1': 'resetRetryCounts when auth succeeds (to connecting): as the branch to history',
  'drop-action:chatSession.connected.ending.fetching-survey|xstate.done.actor.fetchSurveyMode|0#2':
    'resetRetryCounts once the survey mode is known (agent survey): `ending` is entered once and the survey form never goes back to fetching-survey, so the surveyModeAttempts it resets is never read again (surveyModeRetryDelay and canRetrySurveyMode are read in fetching-survey and survey-mode-retry only); authAttempts is not read after auth',
  'drop-action:chatSession.connected.ending.fetching-survey|xstate.done.actor.fetchSurveyMode|1#2': 'resetRetryCounts once the survey mode is known (robot survey): as the agent survey branch',
  'drop-guard:chatSession.connected.chatting|poll.messages|2':
    'isResendWaiting only spares a microstep: without it every poll batch raises outbox.flush, which only outbox.resending handles, so the states and context are the same. test/machine/work.test.ts counts the microstep it saves',
  'actor:send-wrong-localId':
    'markSent falls back to the outbox head when the answer names no localId, and the outbox sends one message at a time, head first: the head is always the message sent',
};

export const MISSING: Readonly<Record<string, string>> = {
  'drop-action:chatSession.connected|poll.messages|0#0':
    "receiveMessages for a batch that arrives after the chat (ending, a survey form): the paths' late messages are CHAT ones, and DISCONNECT's catch-up brings them back from history, so the final transcript has them either way. Needs a check that the transcript holds, after each step, the messages the model step delivered",
  'drop-action:chatSession.leave-message.submitting|xstate.done.actor.leaveMessage|0#1':
    'clearError once the leave-message is stored: submitting it (storeLeaveMessage) already cleared the error, so only an error set while it is in flight would stay: a host event refused meanwhile (rejectEvent). No path sends one then; it needs a variant that does',
  'implementation:robot-survey-no-interidx': 'needs a robot chat that ends before any robot answer carried an interIdx, with a WEB survey',
};
