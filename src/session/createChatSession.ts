/**
 * `createChatSession(options)`: the machine, its actors bound to a client, input and an optional
 * restored snapshot, as one (not yet started) actor.
 */
import { createActor, type Actor, type ActorOptions, type Snapshot } from 'xstate';
import { createAiccClient } from '../client/index.js';
import type { AiccClient, AiccClientOptions } from '../client/types.js';
import { chatSessionMachine, type ChatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatIdentity, ChatSessionInput, ChatTiming, UplinkApi } from '../../machines/chatSession.types.js';
import { createChatActors, type ChatActors, type ChatActorsOptions, type SessionSystem } from '../actors/index.js';
import { prepareRestoredSnapshot } from './restore.js';

/** What `actor.getPersistedSnapshot()` returns: plain JSON, safe to store. */
export type PersistedChatSession = Snapshot<unknown>;

export type ChatSessionActor = Actor<ChatSessionMachine>;

interface ChatSessionCommonOptions {
  identity: ChatIdentity;
  /** API for CONNECT. Default 'send' (its answer tells robot from agent and carries errors). */
  connectVia?: UplinkApi;
  /** Show the customer's earlier conversation first. Default false. */
  loadHistory?: boolean;
  /** History page size. Default 50. */
  historyLimit?: number;
  /** Ask poll for READ notices. Default false. */
  isNeedRead?: boolean;
  /** Largest file `file.send` accepts, bytes. Default 2 MB. */
  maxUploadBytes?: number;
  /** Durations in ms; anything left out takes its default (see DEFAULT_TIMING). */
  timing?: Partial<ChatTiming>;
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
  actors?: Partial<ChatActors>;
  /** Jitter source, clock and sleep of the long-running actors. */
  actorOptions?: ChatActorsOptions;
}

/** Either a ready client or the options to build one with createAiccClient. */
export type ChatSessionOptions = ChatSessionCommonOptions &
  ({ client: AiccClient; clientOptions?: never } | { clientOptions: AiccClientOptions; client?: never });

export function chatSessionInput(options: ChatSessionCommonOptions): ChatSessionInput {
  const input: ChatSessionInput = { identity: options.identity };
  if (options.connectVia !== undefined) input.connectVia = options.connectVia;
  if (options.loadHistory !== undefined) input.loadHistory = options.loadHistory;
  if (options.historyLimit !== undefined) input.historyLimit = options.historyLimit;
  if (options.isNeedRead !== undefined) input.isNeedRead = options.isNeedRead;
  if (options.maxUploadBytes !== undefined) input.maxUploadBytes = options.maxUploadBytes;
  if (options.timing !== undefined) input.timing = options.timing;
  return input;
}

/** Each session's client, by the actor system the session runs in (the shared machine's actors look it up). */
const clientsBySystem = new WeakMap<SessionSystem, AiccClient>();
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

/**
 * Builds the session actor. Call `.start()`; send it `ChatUserEvent`s; read `getSnapshot()`;
 * listen for downloaded files with `.on('file.downloaded', ...)` (register before start to also
 * get downloads resumed after a restore).
 */
export function createChatSession(options: ChatSessionOptions): ChatSessionActor {
  const client = options.client ?? createAiccClient(options.clientOptions as AiccClientOptions);
  const custom = options.actors !== undefined || options.actorOptions !== undefined;
  const machine = custom
    ? chatSessionMachine.provide({ actors: { ...createChatActors(client, options.actorOptions), ...options.actors } as ChatActors })
    : sharedMachine();
  const actorOptions: ActorOptions<ChatSessionMachine> & { input: ChatSessionInput } = { input: chatSessionInput(options) };
  // A CHAT that was on the wire when the page went away is not re-sent blindly, and the poll
  // loop catches up on what the old page may have missed (restore.ts).
  if (options.snapshot !== undefined) actorOptions.snapshot = prepareRestoredSnapshot(options.snapshot);
  if (options.inspect !== undefined) actorOptions.inspect = options.inspect;
  if (options.clock !== undefined) actorOptions.clock = options.clock;
  const actor = createActor(machine, actorOptions);
  // Before start, so the actors a restored snapshot re-invokes find it too.
  clientsBySystem.set(actor.system, client);
  // Pending delayed transitions are not part of a persisted snapshot; this event (queued until
  // start) moves timer-driven states on. See ChatUserEvent 'session.resumed'.
  if (options.snapshot !== undefined) actor.send({ type: 'session.resumed' });
  return actor;
}
