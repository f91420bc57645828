/**
 * aicc-chat-machine/vue: one chat session as a Vue composable, thin over `@xstate/vue`.
 *
 * ```vue
 * <script setup lang="ts">
 * const { chat, error } = useChatSession({ client, identity });
 * </script>
 * <template>
 *   <p v-if="error">{{ error.message }}</p>
 *   <p v-else-if="chat">{{ chat.statusText }}</p>
 * </template>
 * ```
 *
 * In a component the session is created and started a microtask after the component mounts
 * (never during server-side rendering, where nothing mounts); outside one (an `effectScope`, a
 * store) a microtask after the call. It is stopped when the component unmounts or the scope is
 * disposed (`onScopeDispose`), and its in-flight requests are aborted. A session that cannot
 * start (`ChatSessionConflictError`, or a factory that throws) is the `error` ref, never an
 * uncaught error.
 *
 * `vue` and `@xstate/vue` are optional peer dependencies of the package: only this entry
 * imports them, never the core entry.
 */
import { useSelector } from '@xstate/vue';
import { computed, getCurrentInstance, onMounted, onScopeDispose, shallowRef, type ComputedRef, type Ref, type ShallowRef } from 'vue';
import { connectChat, type ChatApi, type ChatSessionActor, type ChatSnapshot, type ChatUserEvent } from '../index.js';
import { runChatSession } from '../adapters/run.js';
import type { ChatSessionError, ChatSessionFactoryOptions, ChatSessionLike, UseChatSessionOptions } from '../adapters/shared.js';

export * from '../adapters/shared.js';

export interface UseChatSessionResult<S> {
  /** The running session; undefined until it has started (after mount), and when it could not. */
  session: Readonly<ShallowRef<S | undefined>>;
  /** Its current snapshot. */
  snapshot: Readonly<Ref<ChatSnapshot | undefined>>;
  /** What to show and what the customer can do (`connectChat` over the snapshot). */
  chat: ComputedRef<ChatApi | undefined>;
  /** Why there is no session: it could not be created or started. Null otherwise. */
  error: Readonly<ShallowRef<ChatSessionError | null>>;
  /** Sends a host event to the session (nothing before it runs). */
  send: (event: ChatUserEvent) => void;
}

/**
 * Creates, starts and stops one chat session with the component (or the effect scope) it is
 * called in. The options are read once; for another customer, mount a new component (`:key`).
 */
export function useChatSession(options: UseChatSessionOptions): UseChatSessionResult<ChatSessionActor>;
export function useChatSession<S extends ChatSessionLike>(options: ChatSessionFactoryOptions<S>): UseChatSessionResult<S>;
export function useChatSession(options: UseChatSessionOptions | ChatSessionFactoryOptions<ChatSessionLike>): UseChatSessionResult<ChatSessionLike> {
  // Shallow: the session is an actor, never to be wrapped in a deep reactive proxy.
  const session = shallowRef<ChatSessionLike>();
  const error = shallowRef<ChatSessionError | null>(null);
  const snapshot = useSelector(session, (s) => s);
  const send = (event: ChatUserEvent): void => void session.value?.send(event);
  const view = options.view;
  const chat = computed(() => (snapshot.value ? connectChat(snapshot.value, send, view) : undefined));

  let stop = (): void => undefined;
  const begin = (): void => {
    stop = runChatSession(options, {
      started: (running) => (session.value = running),
      failed: (reason) => (error.value = reason),
    });
  };
  if (getCurrentInstance()) onMounted(begin);
  else begin();
  onScopeDispose(() => {
    stop();
    session.value = undefined;
  });
  return { session, snapshot, chat, error, send };
}
