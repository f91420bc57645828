/**
 * The steps a UI shows, on their own so that the texts (texts.ts) can name them without
 * importing the view that uses the texts.
 */

/** The machine's state, as far as a UI needs it (the parallel regions of `chatting` left out). */
export type ChatStep =
  | 'auth'
  | 'auth-retry'
  | 'history'
  | 'connecting'
  | 'connect-retry'
  | 'leave-message'
  | 'queuing'
  | 'chatting'
  | 'ending'
  | 'survey-mode-retry'
  | 'survey-unavailable'
  | 'survey-agent'
  | 'survey-robot'
  | 'disconnecting'
  | 'disconnected';
