/**
 * The test model: the SHIPPED chatSessionMachine, stepped with `machine.transition`, wrapped in a
 * small logic that also tracks the world around it (what the simulator is doing, which requests
 * are in flight, which timers are pending). Nothing of the statechart is copied: invokes are not
 * started (the traversal scope never runs deferred work) and their outcomes are fed as
 * `xstate.done.actor.<id>` / `xstate.error.actor.<id>` events with realistic payloads (the
 * sendMessage worker's as its `message.sent` / `message.sendFailed`); delayed
 * transitions are fed as their `xstate.after.<delay>.<state>` events. Which requests and timers
 * are pending is read from the actions the machine itself executes (spawnChild / stopChild,
 * sendTo a request worker, delayed raise / cancel), so a new invoke or `after` shows up here without any edit.
 *
 * The events offered in each model state (see `eventsFor`) follow one rule that keeps the model
 * and the asynchronous real system in step: what the real system does by itself happens first
 * (workers reporting ready, answers to requests in flight, greetings the simulator pushes), and
 * only then does the test act (user events, simulator scripting, firing a timer).
 */
import { createEmptyActor, type ActorLogic, type AnyActorScope, type AnyStateNode, type EventObject } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionEvent, OutgoingEntry } from '../../machines/chatSession.types.js';
import { transitionId } from './coverage.js';
import { sessionInput, MODEL_USER, CHANNEL, type StartConfig } from './fixtures.js';
import type { MachineSnapshot, ModelEvent, ModelSnapshot, Variant, World } from './types.js';
import { VARIANTS } from './variants.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

/** Long-lived callback actors: their events are modelled as variants, they have no outcome. */
export const WORKERS: ReadonlySet<string> = new Set(['pollLoop', 'uploadFile', 'downloadFile', 'watchQueue', 'sendMessage']);

/**
 * Workers that take one request at a time, in flight from the order the machine sends them
 * (`sendTo`) until their answer (the outcome variant's `settles`) or until they stop.
 */
const REQUEST_WORKERS: Readonly<Record<string, string>> = { sendMessage: 'send' };

/** The only actions explored while the model is offline or hidden. */
const WHILE_AWAY: ReadonlySet<string> = new Set(['connection.online', 'page.visible', 'message.send (text)']);

/** What the workers report synchronously when they start. */
const READY_ON_START: Readonly<Record<string, string>> = { uploadFile: 'upload.ready', downloadFile: 'download.ready' };

export const variantByName: ReadonlyMap<string, Variant> = new Map(VARIANTS.map((v) => [v.name, v]));

export function variantOf(name: string): Variant {
  const v = variantByName.get(name);
  if (!v) throw new Error(`unknown variant "${name}"`);
  return v;
}

interface Recording {
  transitions: string[];
  /** The same transitions, one list per (non-empty) microstep: what transition pairs are made of. */
  microsteps: string[][];
  nodes: string[];
  actions: { type: string; params: unknown }[];
}

/** One empty actor lends its system to every recording scope (creating an actor per step is costly). */
const EMPTY_ACTOR = createEmptyActor();

/** An actor scope like xstate/graph's mock scope, recording microsteps and executed actions. */
function recordingScope(rec: Recording): AnyActorScope {
  const empty = EMPTY_ACTOR;
  const system = Object.create(empty.system) as AnyActorScope['system'] & { _sendInspectionEvent: (ev: unknown) => void };
  system._sendInspectionEvent = (ev: unknown) => {
    const e = ev as { type: string; _transitions?: Parameters<typeof transitionId>[0][]; snapshot?: { _nodes?: AnyStateNode[] } };
    if (e.type !== '@xstate.microstep') return;
    const ids = (e._transitions ?? []).map((t) => transitionId(t));
    rec.transitions.push(...ids);
    if (ids.length > 0) rec.microsteps.push(ids);
    for (const n of e.snapshot?._nodes ?? []) rec.nodes.push(n.id);
  };
  return {
    self: empty,
    logger: () => {},
    id: '',
    sessionId: 'model',
    defer: () => {},
    system,
    stopChild: () => {},
    emit: () => {},
    actionExecutor: (action: { type: string; params?: unknown }) => rec.actions.push({ type: action.type, params: action.params }),
  } as unknown as AnyActorScope;
}

const INITIAL_WORLD: World = {
  config: null,
  channel: null,
  party: 'none',
  now: 0,
  timers: {},
  inflight: [],
  spontaneous: [],
  uploads: {},
  lastBatch: [],
  seq: 0,
  unseenGreeting: false,
};

function outgoing(m: MachineSnapshot): OutgoingEntry[] {
  return transcriptEntries(m.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

/** Requests in flight: invoked promise actors, uploads and downloads the workers are doing. */
export function busyWith(s: ModelSnapshot): string[] {
  if (!s.machine) return [];
  const uploads = outgoing(s.machine).filter((e) => e.status === 'uploading').map((e) => `upload:${e.localId}`);
  const downloads = Object.entries(s.machine.context.downloads)
    .filter(([, d]) => d.status === 'downloading')
    .map(([key]) => `download:${key}`);
  return [...s.world.inflight, ...uploads, ...downloads];
}

/** A short readable label of a model state (used in failure traces). */
export function stateLabel(s: ModelSnapshot): string {
  if (!s.machine) return '(not started)';
  const flat = (value: unknown): string =>
    typeof value === 'string'
      ? value
      : Object.entries(value as Record<string, unknown>)
          .map(([k, v]) => (typeof v === 'string' ? `${k}.${v}` : `${k}{${flat(v)}}`))
          .join(',');
  return flat(s.machine.value);
}

/**
 * The traversal vertex: the state value plus everything that decides which transitions can
 * happen next (guard inputs, pending requests and timers, the simulator's side). Timestamps,
 * message texts and counters that only grow are left out, so the graph is finite.
 */
export function vertexKey(s: ModelSnapshot): string {
  let key = vertexKeys.get(s);
  if (key === undefined) {
    key = computeVertexKey(s);
    vertexKeys.set(s, key);
  }
  return key;
}

/** Snapshots are never changed: each one's key is computed once (the traversal asks again). */
const vertexKeys = new WeakMap<ModelSnapshot, string>();

function computeVertexKey(s: ModelSnapshot): string {
  if (!s.machine) return 'not-started';
  const m = s.machine;
  const c = m.context;
  const w = s.world;
  if (m.status !== 'active') return JSON.stringify([m.status, m.value]);
  const key: unknown[] = [
    m.value,
    w.spontaneous,
    [...w.inflight].sort(),
    Object.entries(w.timers)
      // sendRetryDelay is jittered by the message id (a timestamp): its length is not state.
      .map(([type, due]) => (type.split('.')[2] === 'sendRetryDelay' ? 'sendRetryDelay' : `${type.split('.')[2]}+${due - w.now}`))
      .sort(),
    // Offline or hidden: eventsFor offers only coming back (and typing), in any state.
    !c.connection.online || !c.connection.pageVisible,
    w.unseenGreeting,
  ];
  if (['auth', 'auth-retry', 'history', 'connecting', 'connect-retry'].some((v) => m.matches(v as never))) {
    key.push(w.config, c.bookkeeping.connectAttempts, c.bookkeeping.authAttempts ?? 0);
  } else if (m.matches({ connected: 'queuing' } as never) || m.matches({ connected: 'chatting' } as never)) {
    const out = outgoing(m);
    key.push(
      w.channel,
      w.party,
      Object.values(w.uploads).sort(),
      w.lastBatch.length > 0,
      c.servedBy,
      c.bookkeeping.awaitingAgent,
      c.bookkeeping.lastInterIdx !== null,
      c.connection.pollFailures > 0,
      // Status and kind: a failed text can be retried (message.retry), a failed file cannot.
      c.outbox.slice(0, 3).map((id) => {
        const entry = out.find((e) => e.localId === id);
        return `${entry?.mediaType}:${entry?.status}`;
      }),
      out.some((e) => e.status === 'failed' && e.mediaType === 'TEXT'),
      transcriptEntries(c.transcript).some((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && 'file' in e.message.content && !c.downloads[e.key]),
      [...new Set(Object.values(c.downloads).map((d) => d.status))].sort(),
      c.bookkeeping.unreadAgentKeys.length > 0,
      c.compose.draft !== '',
      c.connection.online,
      c.connection.pageVisible,
      c.outbox.slice(0, 1).map((id) => out.find((e) => e.localId === id)?.resends ?? 0),
      // A history copy that a poll copy will replace (what the poll copy changes depends on it).
      transcriptEntries(c.transcript).some((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.recovered === true),
      // An upload that has reported all its bytes (upload.progress is offered only before that).
      out.some((e) => e.status === 'uploading' && e.progress != null && e.progress.loaded === e.file?.size),
    );
  } else if (m.matches({ connected: 'ending' } as never) || m.matches({ connected: 'survey-agent' } as never) || m.matches({ connected: 'survey-robot' } as never)) {
    const answer = c.survey.answer as { satisfied?: boolean } | null;
    key.push(
      w.channel,
      w.party === 'none' ? 'none' : 'some',
      c.servedBy,
      c.bookkeeping.lastInterIdx !== null,
      c.survey.offer?.target ?? null,
      answer?.satisfied ?? null,
      c.bookkeeping.surveyModeAttempts ?? 0,
    );
  }
  return JSON.stringify(key);
}

function applyActions(world: World, actions: Recording['actions']): World {
  const inflight = new Set(world.inflight);
  const timers = { ...world.timers };
  const spontaneous = [...world.spontaneous];
  for (const { type, params } of actions) {
    const p = (params ?? {}) as { id?: string; delay?: number; sendId?: string; event?: EventObject; targetId?: string };
    switch (type) {
      case 'xstate.spawnChild':
        if (p.id && WORKERS.has(p.id)) {
          const ready = READY_ON_START[p.id];
          if (ready) spontaneous.push(ready);
        } else if (p.id) inflight.add(p.id);
        break;
      case 'xstate.stopChild':
        if (p.id) inflight.delete(p.id);
        // A worker stopped in the macrostep that spawned it never started (XState starts children
        // after the macrostep), so it never reports ready: e.g. `connected` entered and left at once.
        if (p.id && READY_ON_START[p.id] && spontaneous.includes(READY_ON_START[p.id]!)) spontaneous.splice(spontaneous.indexOf(READY_ON_START[p.id]!), 1);
        break;
      case 'xstate.sendTo':
        if (p.targetId && REQUEST_WORKERS[p.targetId] === p.event?.type) inflight.add(p.targetId);
        break;
      case 'xstate.raise':
        if (typeof p.delay === 'number') timers[p.id ?? p.event?.type ?? '?'] = world.now + p.delay;
        break;
      case 'xstate.cancel':
        if (p.sendId) delete timers[p.sendId];
        break;
    }
  }
  return { ...world, inflight: [...inflight], timers, spontaneous };
}

function snapshotOf(machine: MachineSnapshot, world: World, variant: string, rec: Recording): ModelSnapshot {
  const snapshot: ModelSnapshot = {
    status: machine.status === 'active' ? 'active' : machine.status,
    output: undefined,
    error: undefined,
    machine,
    world,
    variant,
    taken: rec.transitions,
    microsteps: rec.microsteps,
    visited: [...new Set(rec.nodes)],
    toJSON: () => stateLabel(snapshot),
  };
  return snapshot;
}

export function machineEventOf(event: ModelEvent): ChatSessionEvent {
  const { variant: _variant, ...rest } = event;
  return rest as unknown as ChatSessionEvent;
}

/** One model step: the machine takes the machine event, then the world follows. */
export function modelTransition(prev: ModelSnapshot, event: ModelEvent): ModelSnapshot {
  const variant = variantOf(event.variant);
  const rec: Recording = { transitions: [], microsteps: [], nodes: [], actions: [] };
  const scope = recordingScope(rec);
  let world: World = { ...prev.world };
  let machine: MachineSnapshot;

  if (event.type === 'session.start') {
    const config = event.config as StartConfig;
    machine = chatSessionMachine.getInitialSnapshot(scope, sessionInput(config, MODEL_USER, CHANNEL)) as MachineSnapshot;
    for (const n of machine._nodes) rec.nodes.push(n.id);
    world = { ...world, config };
  } else {
    if (!prev.machine) throw new Error(`${event.variant} before session.start`);
    if (variant.kind === 'spontaneous') {
      if (world.spontaneous[0] !== variant.name) throw new Error(`${variant.name} is not the next spontaneous event`);
      world = { ...world, spontaneous: world.spontaneous.slice(1) };
    }
    const settled = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type)?.[2] ?? (variant.kind === 'outcome' ? variant.settles : undefined);
    if (settled) world = { ...world, inflight: world.inflight.filter((id) => id !== settled) };
    if (event.type.startsWith('xstate.after.')) {
      const due = world.timers[event.type];
      if (due === undefined) throw new Error(`${event.type} is not pending`);
      const timers = { ...world.timers };
      delete timers[event.type];
      world = { ...world, now: due, timers };
    }
    machine = chatSessionMachine.transition(prev.machine, machineEventOf(event), scope) as MachineSnapshot;
    for (const n of machine._nodes) rec.nodes.push(n.id);
  }
  world = applyActions(world, rec.actions);
  if (variant.world) world = variant.world(world, machine, event, prev.machine);
  return snapshotOf(machine, world, variant.name, rec);
}

function offers(s: ModelSnapshot & { machine: MachineSnapshot }, variants: readonly Variant[]): ModelEvent[] {
  const events: ModelEvent[] = [];
  for (const v of variants) {
    const payload = v.offer(s);
    if (!payload) continue;
    const event = { ...payload, type: v.eventType, variant: v.name } as ModelEvent;
    // User and simulator actions must do something here (the machine's own guards decide), or
    // be ignored by it when the variant is about exactly that (`ignored`).
    if ((v.kind === 'user' || v.kind === 'env') && s.machine.can(machineEventOf(event)) === Boolean(v.ignored)) continue;
    events.push(event);
  }
  return events;
}

/**
 * The events to explore in a model state, in this order of precedence:
 * 1. what a worker reports synchronously when it starts (upload.ready, download.ready);
 * 2. while a request is in flight: its possible outcomes, plus the user events that must
 *    overtake it (their variant holds the request back in the real run);
 * 3. what the simulator pushes by itself next (greetings, queue notices);
 * 4. otherwise: user events, simulator scripting, and the timer due first.
 */
export function eventsFor(s: ModelSnapshot): ModelEvent[] {
  if (!s.machine) return offers({ ...s, machine: null as unknown as MachineSnapshot }, VARIANTS.filter((v) => v.kind === 'start'));
  if (s.machine.status !== 'active') return [];
  const active = s as ModelSnapshot & { machine: MachineSnapshot };
  const head = s.world.spontaneous[0];
  const headVariant = head === undefined ? undefined : variantOf(head);
  if (headVariant?.sync) return requireSome(offers(active, [headVariant]), s, headVariant.name);

  const busy = busyWith(s);
  if (busy.length > 1) throw new Error(`model: more than one request in flight (${busy.join(', ')}) in ${stateLabel(s)}; their order would not be deterministic`);
  if (busy.length === 1) {
    const outcomes = offers(active, VARIANTS.filter((v) => v.kind === 'outcome'));
    requireSome(outcomes, s, `an outcome of ${busy[0]}`);
    return [...outcomes, ...offers(active, VARIANTS.filter((v) => v.held))];
  }
  if (headVariant) return requireSome(offers(active, [headVariant]), s, headVariant.name);

  const due = Object.entries(s.world.timers).sort((a, b) => a[1] - b[1]);
  // One concern at a time in the chat: while a timer runs there, only what belongs to it.
  const pendingInChat = due.length > 0 && s.machine.matches({ connected: 'chatting' } as never);
  const first = due[0];
  const timers = first
    ? offers(active, VARIANTS.filter((v) => v.kind === 'timer' && v.eventType === first[0]))
    : [];
  if (first && timers.length === 0) throw new Error(`model: no timer variant for ${first[0]} (add one to test/model/variants.ts)`);
  // Offline or hidden: only coming back (and typing while offline) is explored, so the rest of
  // the graph is not duplicated for each connectivity flag.
  const away = !s.machine.context.connection.online || !s.machine.context.connection.pageVisible;
  // The server ended the session and the chat only suspects it (session.gone, the proof held
  // back): the customer's end is what is explored there; anything else meets the real end.
  const gone = s.world.party === 'ended' && s.machine.matches({ connected: 'chatting' } as never);
  const actions = VARIANTS.filter(
    (v) =>
      ((v.kind === 'user' && !v.held) || v.kind === 'env') &&
      (!pendingInChat || v.whileTimerRuns) &&
      (!away || WHILE_AWAY.has(v.name)) &&
      (!gone || v.name === 'chat.end'),
  );
  return [...offers(active, actions), ...timers];
}

function requireSome(events: ModelEvent[], s: ModelSnapshot, what: string): ModelEvent[] {
  if (events.length === 0) {
    throw new Error(`model: no variant offers ${what} in state ${stateLabel(s)} (add one to test/model/variants.ts)`);
  }
  return events;
}

export const INITIAL_SNAPSHOT: ModelSnapshot = {
  status: 'active',
  output: undefined,
  error: undefined,
  machine: null,
  world: INITIAL_WORLD,
  variant: 'xstate.init',
  taken: [],
  microsteps: [],
  visited: [],
  toJSON: () => '(not started)',
};

/** The model as actor logic, for xstate/graph (TestModel, getShortestPaths, getAdjacencyMap). */
export const chatSessionModel = {
  config: chatSessionMachine.config,
  transition: (snapshot: ModelSnapshot, event: ModelEvent) => modelTransition(snapshot, event),
  getInitialSnapshot: () => INITIAL_SNAPSHOT,
  getPersistedSnapshot: (snapshot: ModelSnapshot) => snapshot,
} as unknown as ActorLogic<ModelSnapshot, ModelEvent>;
