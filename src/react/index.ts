/**
 * aicc-chat-machine/react: one chat session as a React hook, thin over `@xstate/react`.
 *
 * ```tsx
 * const { chat } = useChatSession({ client, userId, userName, channelId });
 * if (!chat) return null;
 * return <p>{chat.phase}</p>;
 * ```
 *
 * Correct under `<StrictMode>`: the session is created inside an effect (never during render)
 * and started a microtask later. In development StrictMode runs every effect, its cleanup and
 * the effect again in one synchronous pass; the first mount's session is therefore never
 * started (no token request, no CONNECT, no poll) and only the second one runs. A session that
 * did start is stopped on unmount (its in-flight requests are aborted through their signals).
 *
 * `react` and `@xstate/react` are optional peer dependencies of the package: only this entry
 * imports them, never the core entry.
 */
import { useSelector } from '@xstate/react';
import type { Subscribable } from 'xstate';
import { useCallback, useEffect, useMemo, useRef, useState, type DependencyList } from 'react';
import { connectChat, createChatSession, type ChatApi, type ChatSessionActor, type ChatSessionOptions, type ChatSnapshot, type ChatUserEvent, type ChatViewOptions } from '../index.js';

/**
 * What the hook runs: a session actor (`createChatSession`) or anything shaped like one, such
 * as a `TabSession` (`aicc-chat-machine/tabs`).
 */
export interface ChatSessionLike extends Subscribable<ChatSnapshot> {
  start(): unknown;
  stop(): unknown;
  getSnapshot(): ChatSnapshot;
  send(event: ChatUserEvent): unknown;
}

/** Build the session yourself (e.g. `() => createTabSession({ ... })`); called inside an effect. */
export interface ChatSessionFactoryOptions<S extends ChatSessionLike> {
  createSession: () => S;
  /** Options of `connectChat` (texts, locale). */
  view?: ChatViewOptions;
}

/** `createChatSession`'s options, plus the options of `connectChat`. */
export type UseChatSessionOptions = ChatSessionOptions & { view?: ChatViewOptions };

export interface UseChatSessionResult<S> {
  /** The running session; undefined until the effect has started it (the first render). */
  session: S | undefined;
  /** Its current snapshot. */
  snapshot: ChatSnapshot | undefined;
  /** What to show and what the customer can do (`connectChat` over the snapshot). */
  chat: ChatApi | undefined;
  /** Sends a host event to the session (nothing before it runs). */
  send: (event: ChatUserEvent) => void;
}

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
  const [session, setSession] = useState<ChatSessionLike>();

  useEffect(() => {
    const current = latest.current;
    const created: ChatSessionLike =
      'createSession' in current ? current.createSession() : (createChatSession(withoutView(current)) as unknown as ChatSessionLike);
    let live = true;
    let started = false;
    // A microtask later: StrictMode's unmount of the first mount has happened by then.
    queueMicrotask(() => {
      if (!live) return;
      created.start();
      started = true;
      setSession(created);
    });
    return () => {
      live = false;
      if (started) created.stop();
      setSession((shown) => (shown === created ? undefined : shown));
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller's deps decide
  }, deps);

  const snapshot: ChatSnapshot | undefined = useSelector(session, (s: ChatSnapshot | undefined) => s);
  const send = useCallback((event: ChatUserEvent) => void session?.send(event), [session]);
  const view = options.view;
  const chat = useMemo(() => (snapshot ? connectChat(snapshot, send, view) : undefined), [snapshot, send, view]);
  return { session, snapshot, chat, send };
}

function withoutView(options: UseChatSessionOptions): ChatSessionOptions {
  const { view: _view, ...rest } = options;
  return rest as ChatSessionOptions;
}
