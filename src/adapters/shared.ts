/**
 * The public types the framework entries (`aicc-chat-machine/react`, `/vue`, `/svelte`) share
 * and each re-exports: what they run, their options, and the typed error when the session
 * cannot start. No framework in here.
 */
import type { Subscribable } from 'xstate';
import type { ChatUserEvent } from '../../machines/chatSession.types.js';
import type { ChatSessionConflictError, ChatSessionOptions } from '../session/index.js';
import type { ChatSnapshot, ChatViewOptions } from '../view/index.js';

/**
 * What an adapter runs: a session actor (`createChatSession`) or anything shaped like one, such
 * as a `TabSession` (`aicc-chat-machine/tabs`).
 */
export interface ChatSessionLike extends Subscribable<ChatSnapshot> {
  start(): unknown;
  stop(): unknown;
  getSnapshot(): ChatSnapshot;
  send(event: ChatUserEvent): unknown;
}

/** Build the session yourself (e.g. `() => createTabSession({ ... })`); called when it is due to start. */
export interface ChatSessionFactoryOptions<S extends ChatSessionLike> {
  createSession: () => S;
  /** Options of `connectChat` (texts, locale). */
  view?: ChatViewOptions;
}

/** `createChatSession`'s options, plus the options of `connectChat`. */
export type UseChatSessionOptions = ChatSessionOptions & { view?: ChatViewOptions };

/**
 * The session could not be created or started for another reason than a conflict: what the
 * factory or `start()` threw is the `cause`.
 */
export class ChatSessionStartError extends Error {
  override readonly name = 'ChatSessionStartError' as const;
  readonly code = 'start-failed' as const;
  constructor(cause: unknown) {
    super(`The chat session could not be started: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Why an adapter has no running session. `code` tells them apart:
 *
 * - `session-already-live` (`ChatSessionConflictError`): the user already has a live session
 *   through the same client, e.g. a second widget of the same customer on the page;
 * - `start-failed` (`ChatSessionStartError`): anything else the factory or `start()` threw.
 */
export type ChatSessionError = ChatSessionConflictError | ChatSessionStartError;
