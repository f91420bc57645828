/**
 * How the framework entries run a session, with no framework in it: created and started a
 * microtask later, and what it throws reported as a typed error.
 */
import { ChatSessionConflictError, createChatSession, type ChatSessionOptions } from '../session/index.js';
import { ChatSessionStartError, type ChatSessionError, type ChatSessionFactoryOptions, type ChatSessionLike, type UseChatSessionOptions } from './shared.js';

function toChatSessionError(error: unknown): ChatSessionError {
  return error instanceof ChatSessionConflictError || error instanceof ChatSessionStartError ? error : new ChatSessionStartError(error);
}

/** What became of a run: exactly one of these is called, a microtask after `runChatSession`. */
export interface ChatSessionRunListener<S> {
  started(session: S): void;
  failed(error: ChatSessionError): void;
}

/**
 * Creates and starts the session a microtask from now, unless the returned stop comes first:
 * StrictMode's unmount of a first mount, a store's passing subscriber. Nothing is created
 * then, so nothing is requested. The stop stops a session that did start. A factory or
 * `start()` that throws is reported to `failed`, never thrown: a microtask has no caller to
 * catch it (it would be an uncaught error in the page).
 */
export function runChatSession(
  options: UseChatSessionOptions | ChatSessionFactoryOptions<ChatSessionLike>,
  listener: ChatSessionRunListener<ChatSessionLike>,
): () => void {
  let cancelled = false;
  let running: ChatSessionLike | undefined;
  queueMicrotask(() => {
    if (cancelled) return;
    let created: ChatSessionLike | undefined;
    try {
      created = createSessionFrom(options);
      created.start();
    } catch (error) {
      release(created);
      listener.failed(toChatSessionError(error));
      return;
    }
    running = created;
    listener.started(created);
  });
  return () => {
    cancelled = true;
    running?.stop();
    running = undefined;
  };
}

function createSessionFrom(options: UseChatSessionOptions | ChatSessionFactoryOptions<ChatSessionLike>): ChatSessionLike {
  if ('createSession' in options) return options.createSession();
  const { view: _view, ...sessionOptions } = options;
  return createChatSession(sessionOptions as ChatSessionOptions);
}

/** Stops a session whose start threw, for what it may have set up; the start's error is the one to report. */
function release(session: ChatSessionLike | undefined): void {
  try {
    session?.stop();
  } catch {
    // Nothing to add to the start's error.
  }
}
