/**
 * `createChatSession(options)`: the machine, its actors bound to a client, input and an optional
 * restored snapshot, as one (not yet started) actor whose `send` never lets a malformed value
 * reach XState (see `refusedHostEvent`).
 */
import { createActor, type Actor, type ActorOptions } from 'xstate';
import { createAiccClient } from '../client/index.js';
import type { AiccClient, AiccClientOptions } from '../client/types.js';
import { chatSessionMachine, type ChatSessionMachine } from '../../machines/chatSession.machine.js';
import type {
  ChatActorEvent,
  ChatIdentity,
  ChatInputError,
  ChatInternalEvent,
  ChatRejectedEvent,
  ChatSessionEvent,
  ChatSessionInput,
  ChatTiming,
  ChatUserEvent,
  UplinkApi,
} from '../../machines/chatSession.types.js';
import { describeValue } from '../../machines/chatSession.updates.js';
import { inputError } from '../../machines/chatSession.validation.js';
import type { ChatSessionActorContracts } from '../../machines/chatSession.contracts.js';
import { createChatActors, type ChatActorsOptions, type SessionSystem } from '../actors/index.js';
import { prepareRestoredSnapshot, type PersistedChatSession } from './restore.js';

export type { PersistedChatSession };

export type ChatSessionActor = Actor<ChatSessionMachine>;

/** The options of `createChatSession` besides its client (`ChatSessionOptions` adds `client` or `clientOptions`): the machine's input, and how to run it. */
export interface ChatSessionCommonOptions extends ChatSessionInput {
  /**
   * A persisted snapshot to resume (from `storage.load()`). Polling resumes on start, with a
   * catch-up from history; a message that was being sent is shown failed with `outcomeUnknown`.
   */
  snapshot?: PersistedChatSession;
  /** Inspection hook passed to createActor (e.g. `createBrowserInspector().inspect`). */
  inspect?: ActorOptions<ChatSessionMachine>['inspect'];
  /** Clock for delayed transitions (tests: `new SimulatedClock()`). */
  clock?: ActorOptions<ChatSessionMachine>['clock'];
  /** Replace some of the actors (tests, custom transports). */
  actors?: Partial<ChatSessionActorContracts>;
  /** Jitter source, clock and sleep of the long-running actors. */
  actorOptions?: ChatActorsOptions;
}

/** Either a ready client or the options to build one with createAiccClient. */
export type ChatSessionOptions = ChatSessionCommonOptions &
  ({ client: AiccClient; clientOptions?: never } | { clientOptions: AiccClientOptions; client?: never });

/** Every key of ChatSessionInput (a key added there and not here fails to compile). */
const INPUT_KEYS: { readonly [K in keyof ChatSessionInput]-?: true } = {
  identity: true,
  connectVia: true,
  loadHistory: true,
  historyLimit: true,
  isNeedRead: true,
  maxUploadBytes: true,
  timing: true,
};

/** The machine's input out of the session options: the ChatSessionInput keys that are set. */
export function chatSessionInput(options: ChatSessionInput): ChatSessionInput {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(INPUT_KEYS) as (keyof ChatSessionInput)[]) {
    if (options[key] !== undefined) input[key] = options[key];
  }
  return input as unknown as ChatSessionInput;
}

/** Each session's client, by the actor system the session runs in (the shared machine's actors look it up). */
const clientsBySystem = new WeakMap<SessionSystem, AiccClient>();

/**
 * Thrown by `start()` of a session whose user already has a live (started, not ended, not
 * stopped) session through the same client. Two would both CONNECT and both long-poll, and the
 * service hands each batch to whichever poll is open: the conversation would be split. One
 * process owns a user (docs/guides/node.md).
 */
export class ChatSessionConflictError extends Error {
  // `declare`d and set in the constructor, not class fields: a bundle for an engine older than
  // ES2022 would lower each field to a helper call (docs/performance.md section 5).
  declare readonly userId: string;
  declare readonly name: 'ChatSessionConflictError';
  declare readonly code: 'session-already-live';
  constructor(userId: string) {
    super(`User "${userId}" already has a live chat session through this client: stop it (or let it end) before starting another.`);
    const self = this as { -readonly [K in 'userId' | 'name' | 'code']: ChatSessionConflictError[K] };
    self.userId = userId;
    self.name = 'ChatSessionConflictError';
    self.code = 'session-already-live';
  }
}

/** Started, not yet ended or stopped: client → userId → the live session. */
const liveSessions = new WeakMap<AiccClient, Map<string, object>>();

/** Refuses a second live session of one user through one client (see ChatSessionConflictError). */
function ownUserWhileLive(actor: ChatSessionActor, client: AiccClient, userId: string): void {
  const start = actor.start.bind(actor);
  actor.start = () => {
    const live = liveSessions.get(client) ?? new Map<string, object>();
    liveSessions.set(client, live);
    const owner = live.get(userId);
    if (owner !== undefined && owner !== actor) throw new ChatSessionConflictError(userId);
    live.set(userId, actor);
    const release = (): void => {
      if (live.get(userId) === actor) live.delete(userId);
    };
    actor.subscribe({ complete: release, error: release });
    return start();
  };
}
let provided: ChatSessionMachine | undefined;

/**
 * One machine for every session that uses the default actors: `provide` builds a whole new
 * state-node tree (~80 KB of heap, ~0.6 ms), which a process with thousands of sessions should
 * pay once, not per session.
 */
function sharedMachine(): ChatSessionMachine {
  provided ??= chatSessionMachine.provide({
    actors: createChatActors((system) => {
      const client = clientsBySystem.get(system);
      if (!client) throw new Error('createChatSession: this actor system has no client (actor not created by createChatSession)');
      return client;
    }),
  });
  return provided;
}

/** The events a host sends (every `ChatUserEvent`: tsc keeps this list complete). */
const HOST_EVENT_TYPES: Readonly<Record<ChatUserEvent['type'], true>> = {
  'message.send': true,
  'message.retry': true,
  'file.send': true,
  'file.download': true,
  'input.change': true,
  'agent.request': true,
  'messages.markRead': true,
  'chat.end': true,
  'survey.submit': true,
  'survey.skip': true,
  'leaveMessage.submit': true,
  'leaveMessage.skip': true,
  'request.retry': true,
  // Deprecated: delivered as 'request.retry' (currentHostEvent).
  retry: true,
  'connection.offline': true,
  'connection.online': true,
  'page.hidden': true,
  'page.visible': true,
  'session.resumed': true,
};

/** The events only the session itself sends (its actors, its own raise, this module). */
const SESSION_EVENT_TYPES: Readonly<Record<ChatActorEvent['type'] | ChatInternalEvent['type'] | ChatRejectedEvent['type'], true>> = {
  'poll.messages': true,
  'poll.error': true,
  'poll.failed': true,
  'session.lost': true,
  'session.gone': true,
  'queue.updated': true,
  'queue.served': true,
  'queue.ended': true,
  'message.sent': true,
  'message.sendFailed': true,
  'upload.ready': true,
  'upload.progress': true,
  'upload.done': true,
  'upload.failed': true,
  'download.ready': true,
  'download.done': true,
  'download.failed': true,
  'outbox.flush': true,
  'event.rejected': true,
};

/**
 * Why a value passed to the session's `send` is not a host event, or null when it is one: an
 * object whose `type` is a string naming a `ChatUserEvent`. Refused: anything else — not an
 * object (null, undefined, a string, a number, an array), no string type, an unknown type, and
 * the events the session's own actors send (`poll.*`, `queue.*`, `message.sent`,
 * `message.sendFailed`, `upload.*`, `download.*`, `outbox.flush`, `event.rejected`) or XState
 * sends (`xstate.*`): a forged one could end the
 * session without DISCONNECT, stop the actor or put made-up messages in the transcript.
 * The payload of a host event is checked by the machine (the `reject*` actions).
 */
export function refusedHostEvent(value: unknown): ChatInputError | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return inputError('invalid-event', '', `An event must be an object with a string type; got ${describeValue(value)}.`);
  }
  const type: unknown = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return inputError('invalid-event', '', `An event must have a string type; its type is ${describeValue(type)}.`, 'type');
  }
  if (Object.hasOwn(HOST_EVENT_TYPES, type)) return null;
  const internal = Object.hasOwn(SESSION_EVENT_TYPES, type) || type.startsWith('xstate.');
  return inputError(
    'invalid-event',
    type,
    internal ? `"${type}" is sent by the session itself, never by a host.` : `"${type}" is not an event the session knows.`,
    'type',
  );
}

/**
 * The host event under its current name: the deprecated `{ type: 'retry' }` is
 * `{ type: 'request.retry' }`; any other value is returned as it is.
 */
export function currentHostEvent<TEvent>(event: TEvent): TEvent | { type: 'request.retry' } {
  return (event as { type?: unknown } | null)?.type === 'retry' ? { type: 'request.retry' } : event;
}

/**
 * The actor's `send`, screened: a host event goes to the machine under its current name
 * (`currentHostEvent`; its payload is the machine's to check); anything else is delivered as `event.rejected`, which only sets
 * `context.error` to the typed 'invalid-event' error. Nothing a host passes reaches XState
 * malformed, so nothing puts the session in status 'error' or throws (XState re-throws actor
 * errors from a timer, which ends a Node process that has no handler for them). Once the session
 * has stopped (done, stopped), `send` does nothing.
 */
function screenSend(actor: ChatSessionActor): void {
  const deliver = actor.send.bind(actor);
  actor.send = (event: ChatSessionEvent): void => {
    if (actor.getSnapshot().status !== 'active') return;
    const refused = refusedHostEvent(event);
    deliver(refused === null ? currentHostEvent(event) : { type: 'event.rejected', error: refused });
  };
}

/**
 * Builds the session actor. Call `.start()`; send it `ChatUserEvent`s; read `getSnapshot()`;
 * listen for downloaded files with `.on('file.downloaded', ...)` (register before start to also
 * get downloads resumed after a restore). `send` refuses anything else with a typed
 * 'invalid-event' error in `context.error` (see `refusedHostEvent`).
 */
export function createChatSession(options: ChatSessionOptions): ChatSessionActor {
  const client = options.client ?? createAiccClient(options.clientOptions as AiccClientOptions);
  const custom = options.actors !== undefined || options.actorOptions !== undefined;
  const machine = custom
    ? chatSessionMachine.provide({ actors: { ...createChatActors(client, options.actorOptions), ...options.actors } as ChatSessionActorContracts })
    : sharedMachine();
  const actorOptions: ActorOptions<ChatSessionMachine> & { input: ChatSessionInput } = { input: chatSessionInput(options) };
  // A CHAT that was on the wire when the page went away is not re-sent blindly, and the poll
  // loop catches up on what the old page may have missed (restore.ts).
  if (options.snapshot !== undefined) actorOptions.snapshot = prepareRestoredSnapshot(options.snapshot);
  if (options.inspect !== undefined) actorOptions.inspect = options.inspect;
  if (options.clock !== undefined) actorOptions.clock = options.clock;
  const actor = createActor(machine, actorOptions);
  screenSend(actor);
  ownUserWhileLive(actor, client, actorOptions.input.identity.userId);
  // Before start, so the actors a restored snapshot re-invokes find it too.
  clientsBySystem.set(actor.system, client);
  // Pending delayed transitions are not part of a persisted snapshot; this event (queued until
  // start) moves timer-driven states on. See ChatUserEvent 'session.resumed'.
  if (options.snapshot !== undefined) actor.send({ type: 'session.resumed' });
  return actor;
}
