/**
 * aicc-chat-machine/svelte: one chat session as a Svelte store, thin over `@xstate/svelte`.
 *
 * ```svelte
 * <script lang="ts">
 *   const session = createChatSessionStore({ client, identity });
 * </script>
 * {#if $session.error}<p>{$session.error.message}</p>
 * {:else if $session.chat}<p>{$session.chat.statusText}</p>{/if}
 * ```
 *
 * The store runs the session while it has subscribers: the first one (a component that reads
 * `$session`) creates and starts it a microtask later, the last one to leave (the component is
 * destroyed) stops it a microtask later unless another has come by then, and its in-flight
 * requests are aborted. A subscriber that comes back later gets a new session. `destroy()`
 * stops it for good (a store made outside a component). A session that cannot start
 * (`ChatSessionConflictError`, or a factory that throws) is the store's `error`, never an
 * uncaught error.
 *
 * `svelte` and `@xstate/svelte` are optional peer dependencies of the package: only this entry
 * imports them, never the core entry.
 */
import { useSelector } from '@xstate/svelte';
import { writable, type Readable } from 'svelte/store';
import { connectChat, type ChatApi, type ChatSessionActor, type ChatSnapshot, type ChatUserEvent } from '../index.js';
import { runChatSession } from '../adapters/run.js';
import type { ChatSessionError, ChatSessionFactoryOptions, ChatSessionLike, UseChatSessionOptions } from '../adapters/shared.js';

export * from '../adapters/shared.js';

/** What the store holds. */
export interface ChatSessionState<S> {
  /** The running session; undefined until it has started, when it could not, and once stopped. */
  session: S | undefined;
  /** Its current snapshot. */
  snapshot: ChatSnapshot | undefined;
  /** What to show and what the customer can do (`connectChat` over the snapshot). */
  chat: ChatApi | undefined;
  /** Why there is no session: it could not be created or started. Null otherwise. */
  error: ChatSessionError | null;
}

export interface ChatSessionStore<S> extends Readable<ChatSessionState<S>> {
  /** Sends a host event to the session (nothing while none runs). */
  send(event: ChatUserEvent): void;
  /** Stops the session now and never runs another: subscribers see no session from then on. */
  destroy(): void;
}

const NOT_YET: ChatSessionState<never> = { session: undefined, snapshot: undefined, chat: undefined, error: null };

/** A store that runs one chat session while it has subscribers. The options are read each time a session is created. */
export function createChatSessionStore(options: UseChatSessionOptions): ChatSessionStore<ChatSessionActor>;
export function createChatSessionStore<S extends ChatSessionLike>(options: ChatSessionFactoryOptions<S>): ChatSessionStore<S>;
export function createChatSessionStore(options: UseChatSessionOptions | ChatSessionFactoryOptions<ChatSessionLike>): ChatSessionStore<ChatSessionLike> {
  let running: ChatSessionLike | undefined;
  /** Ends the current run (cancelled before it started, or stopped); undefined when there is none. */
  let end: (() => void) | undefined;
  let subscribed = false;
  let destroyed = false;
  const send = (event: ChatUserEvent): void => void running?.send(event);

  const state = writable<ChatSessionState<ChatSessionLike>>(NOT_YET, () => {
    subscribed = true;
    if (!destroyed && !end) begin();
    return () => {
      subscribed = false;
      // Not started yet: cancelled now, so a passing subscriber creates nothing. Running: stopped
      // a microtask later, so a subscriber that takes over in the same tick (one component
      // replacing another) keeps the session.
      if (!running) end?.();
      else
        queueMicrotask(() => {
          if (!subscribed) end?.();
        });
    };
  });

  function begin(): void {
    let unsubscribe = (): void => undefined;
    const stop = runChatSession(options, {
      started: (session) => {
        running = session;
        const snapshots = useSelector(session, (s) => s);
        unsubscribe = snapshots.subscribe((snapshot) => state.set({ session, snapshot, chat: connectChat(snapshot, send, options.view), error: null }));
      },
      failed: (error) => state.set({ ...NOT_YET, error }),
    });
    end = () => {
      unsubscribe();
      stop();
      running = undefined;
      end = undefined;
      state.set(NOT_YET);
    };
  }

  return {
    subscribe: state.subscribe,
    send,
    destroy: () => {
      destroyed = true;
      end?.();
    },
  };
}
