/**
 * aicc-chat-machine/react: one chat session as a React hook, thin over `@xstate/react`.
 *
 * ```tsx
 * const { chat, error } = useChatSession({ client, identity });
 * if (error) return <p>{error.message}</p>;
 * if (!chat) return null;
 * return <p>{chat.phase}</p>;
 * ```
 *
 * Correct under `<StrictMode>`: the session is created and started a microtask after the
 * effect (never during render). In development StrictMode runs every effect, its cleanup and
 * the effect again in one synchronous pass; the first mount's session is therefore never
 * created (no token request, no CONNECT, no poll) and only the second one runs. A session that
 * did start is stopped on unmount (its in-flight requests are aborted through their signals).
 * A session that cannot start (`ChatSessionConflictError`, or a factory that throws) is the
 * hook's `error`, never an uncaught error.
 *
 * `react` and `@xstate/react` are optional peer dependencies of the package: only this entry
 * imports them, never the core entry.
 */
import { useSelector } from '@xstate/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DependencyList } from 'react';
import { connectChat, type ChatApi, type ChatSessionActor, type ChatSnapshot, type ChatUserEvent } from '../index.js';
import { runChatSession } from '../adapters/run.js';
import type { ChatSessionError, ChatSessionFactoryOptions, ChatSessionLike, UseChatSessionOptions } from '../adapters/shared.js';

export * from '../adapters/shared.js';

export interface UseChatSessionResult<S> {
  /** The running session; undefined until it has started (after the first render), and when it could not. */
  session: S | undefined;
  /** Its current snapshot. */
  snapshot: ChatSnapshot | undefined;
  /** What to show and what the customer can do (`connectChat` over the snapshot). */
  chat: ChatApi | undefined;
  /** Why there is no session: it could not be created or started. Null otherwise. */
  error: ChatSessionError | null;
  /** Sends a host event to the session (nothing before it runs). */
  send: (event: ChatUserEvent) => void;
}

interface Run {
  session: ChatSessionLike | undefined;
  error: ChatSessionError | null;
}

const NOT_YET: Run = { session: undefined, error: null };

/**
 * Creates, starts and stops one chat session with the component. The options are read when the
 * session is created; `deps` say when to replace it with a new one (default: never, for the
 * component's lifetime — pass e.g. `[userId]`).
 */
export function useChatSession(options: UseChatSessionOptions, deps?: DependencyList): UseChatSessionResult<ChatSessionActor>;
export function useChatSession<S extends ChatSessionLike>(options: ChatSessionFactoryOptions<S>, deps?: DependencyList): UseChatSessionResult<S>;
export function useChatSession(
  options: UseChatSessionOptions | ChatSessionFactoryOptions<ChatSessionLike>,
  deps: DependencyList = [],
): UseChatSessionResult<ChatSessionLike> {
  const latest = useRef(options);
  latest.current = options;
  const [run, setRun] = useState<Run>(NOT_YET);

  useEffect(() => {
    let shown = NOT_YET;
    const show = (next: Run): void => {
      shown = next;
      setRun(next);
    };
    const stop = runChatSession(latest.current, {
      started: (session) => show({ session, error: null }),
      failed: (error) => show({ session: undefined, error }),
    });
    return () => {
      stop();
      setRun((current) => (current === shown ? NOT_YET : current));
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps decide
  }, deps);

  const { session, error } = run;
  const snapshot: ChatSnapshot | undefined = useSelector(session, (s: ChatSnapshot | undefined) => s);
  const send = useCallback((event: ChatUserEvent) => void session?.send(event), [session]);
  const view = options.view;
  const chat = useMemo(() => (snapshot ? connectChat(snapshot, send, view) : undefined), [snapshot, send, view]);
  return { session, snapshot, chat, error, send };
}
