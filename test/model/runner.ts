/**
 * Executes a model path against the real system: `createChatSession` with the real actors and a
 * real axios client (AK/SK gateway headers + applyToken, as a server would wire it), talking HTTP
 * to a simulator of its own. Each step is caused for real (a user event, simulator scripting, a
 * timer on the SimulatedClock, or nothing for what the system does by itself) and then matched
 * against what the real actor did, read from its `inspect` stream:
 *
 * - the next real macrostep with the step's event type must have taken exactly the machine
 *   transitions the model took, and end in the same state value;
 * - macrosteps in between are only allowed if they are harmless background (a queue position
 *   update, a message merged where nothing changes state);
 * - the context fields the model predicts (who serves, end reason, outbox statuses, error, ...)
 *   must be equal, and the step's own checks (variant.check) and the state's promises (what the
 *   simulator reports about the session) must hold.
 *
 * Steps are grouped: an action (start, user, env, timer) and the outcomes and spontaneous
 * events that follow it without further action. Before the action, the simulator is armed for
 * every step of the group (faults, scenario changes), plus `armAhead` of the next group's first
 * step (holding back a request so that a user event can overtake it).
 */
import { expect } from 'vitest';
import { SimulatedClock, createActor, type AnyStateNode, type InspectionEvent } from 'xstate';
import { TestModel, type StatePath } from 'xstate/graph';
import { akSkGatewayHeaders, applyTokenProvider, createAiccClient } from '../../src/client/index.js';
import type { AiccClient, TokenRequestReason } from '../../src/client/types.js';
import { prepareRestoredSnapshot, type PersistedChatSession } from '../../src/session/restore.js';
import type { ApiName } from '../../src/client/protocol.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { createChatSession, refusedHostEvent, type ChatSessionActor } from '../../src/session/createChatSession.js';
import { createChatActors, type ChatActorsOptions } from '../../src/actors/index.js';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { pendingDownloads, pendingUploads } from '../../machines/chatSession.selectors.js';
import type { ChatSessionContext, ChatSessionEmitted, ChatSessionEvent, ChatSessionInput, OutgoingEntry } from '../../machines/chatSession.types.js';
import { TRANSITIONS, describeTransition, transitionId } from './coverage.js';
import { countedGroups } from './graph.js';
import { pairsOf } from './pairs.js';
import { assertObserved, observeRealGuards } from './guards.js';
import { HOLD_MS, POLL_HOLD_MS, SIM_TIMING, SIM_UPLOAD_MAX_BYTES, STEP_TIMEOUT_MS } from './fixtures.js';
import { chatSessionModel, stateLabel, variantOf } from './model.js';
import { ORACLES, type Oracle } from './oracles.js';
import type { Fault, MachineSnapshot, ModelEvent, ModelSnapshot, RunApi, StepInfo, TestClock } from './types.js';
import { Sequence, journaled, type ClientCall, type Trace } from './trace.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

/** The model that executes paths (TestModel.testPath); its options only make failure traces readable. */
export const EXECUTOR = new TestModel<ModelSnapshot, ModelEvent, unknown>(chatSessionModel, {
  serializeState: (state) => stateLabel(state),
  serializeEvent: (event) => (event as ModelEvent).variant,
});

/** What the real actor did for one event: the transitions of all its microsteps, the result. */
interface RealStep {
  /** When, among the client calls and macrosteps of the run (trace.ts). */
  seq: number;
  event: { type: string } & Record<string, unknown>;
  transitions: string[];
  /** Their signatures (what they do: source, event, targets). */
  signatures: string[];
  /** The same, one list per microstep that took a transition of the machine. */
  microsteps: string[][];
  snapshot: MachineSnapshot;
  value: string;
}

function realEventType(info: StepInfo): string {
  return info.event.type === 'session.start' ? 'xstate.init' : info.event.type;
}

/**
 * A batch made only of history copies (`recovered`): the poll loop's catch-up after a CONNECT or a
 * poll whose answer may have been lost. Whether it finds a message before the poll brings it is a
 * race, so it is never the model's poll step; it passes as background when it changes no state.
 */
function onlyHistoryCopies(event: RealStep['event']): boolean {
  const messages = event.type === 'poll.messages' && Array.isArray(event.messages) ? (event.messages as { recovered?: boolean }[]) : [];
  return messages.length > 0 && messages.every((m) => m.recovered === true);
}

/** A real macrostep in a failure message: its event, a batch by its keys (h: a history copy). */
function describeRealStep(step: RealStep): string {
  const batch = step.event.type === 'poll.messages' && Array.isArray(step.event.messages) ? (step.event.messages as { key?: unknown; recovered?: unknown }[]) : null;
  return batch ? `poll.messages[${batch.map((m) => `${String(m.key)}${m.recovered === true ? ' h' : ''}`).join(', ')}]` : step.event.type;
}

/**
 * What a transition does, without which entry of the config it is: source, event, targets. A
 * mutated machine (test/mutation) is matched by this, so a mutant that only moves or renumbers
 * a branch is not told apart by its index; the state, context and effects after it are checked.
 */
function signature(source: string, eventType: string, targets: readonly string[]): string {
  return `${source}|${eventType}|${targets.join(',')}`;
}

const SIGNATURE_OF: ReadonlyMap<string, string> = new Map(TRANSITIONS.map((t) => [t.id, signature(t.source, t.eventType, t.targets)]));
const signaturesOf = (ids: readonly string[]) => ids.map((id) => SIGNATURE_OF.get(id) ?? id);

/**
 * Is this real macrostep the model step? Same event type, exactly the same transitions (or, for
 * a mutated machine, transitions that do the same), same state.
 */
function takes(real: RealStep, info: StepInfo, bySignature: boolean): boolean {
  const expected = info.after;
  return (
    real.event.type === realEventType(info) &&
    (bySignature ? sameList(real.signatures, signaturesOf(expected.taken)) : sameList(real.transitions, expected.taken)) &&
    real.value === JSON.stringify(expected.machine?.value) &&
    !(onlyHistoryCopies(real.event) && !onlyHistoryCopies(info.event))
  );
}

/**
 * Background the real system may do between two steps: it changes no state. Each is the
 * unguarded, targetless last branch of its event; an id names a branch by its index, so a branch
 * added before it would silently move the id onto another one: checked below.
 */
const BACKGROUND: ReadonlySet<string> = new Set([
  'chatSession.connected.queuing|queue.updated|0',
  'chatSession.connected.queuing|poll.messages|5',
  'chatSession.connected.chatting|poll.messages|3',
  'chatSession.connected|poll.messages|0',
  // A file's bytes going out (the model takes it only where a path asks for it).
  'chatSession.connected|upload.progress|0',
]);
for (const id of BACKGROUND) {
  const branch = TRANSITIONS.find((t) => t.id === id);
  const last = TRANSITIONS.filter((t) => branch && t.source === branch.source && t.eventType === branch.eventType).at(-1);
  if (!branch || branch !== last || branch.guard !== null || branch.targets.length > 0) {
    throw new Error(`test/model/runner.ts BACKGROUND: ${id} is not the unguarded, targetless last branch of its event (the config changed: ${last?.id ?? 'no such event'} is the last one now)`);
  }
}
const BACKGROUND_SIGNATURES: ReadonlySet<string> = new Set(signaturesOf([...BACKGROUND]));

const ACTION_KINDS = new Set(['start', 'user', 'env', 'timer']);
/** Steps whose event only the test sends: the first real macrostep of that event is the step's. */
const SENT_BY_THE_TEST: ReadonlySet<string> = new Set(['user', 'timer']);

let userCounter = 0;

/**
 * Coverage of the real actors, over all paths of the run. A pair (pairs.ts) is two consecutive
 * microsteps of a session; the background steps the runner lets through between two matched
 * steps (they change no state) are also looked through, so a queue position update does not
 * break the pair the path planned around it.
 */
export const realCoverage = { nodes: new Set<string>(), transitions: new Set<string>(), pairs: new Set<string>() };

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function outgoing(m: MachineSnapshot): OutgoingEntry[] {
  return transcriptEntries(m.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

function errorSignature(error: ChatSessionContext['error']): string | null {
  if (!error) return null;
  if (error.name === 'ChatInputError') return `input:${error.code}`;
  return `aicc:${error.kind}${error.resultCode ? `:${error.resultCode}` : ''}`;
}

/** The context the model predicts exactly (message texts, keys and timestamps differ by design). */
/** The file workers a session runs now (its children `uploadFile`, `downloadFile`). */
export function fileWorkersOf(snapshot: { children: object }): string[] {
  return Object.keys(snapshot.children).filter((id) => id === 'uploadFile' || id === 'downloadFile');
}

export function promises(m: MachineSnapshot): Record<string, unknown> {
  const c = m.context;
  const out = outgoing(m);
  return {
    servedBy: c.servedBy,
    agentNickname: c.agentNickname,
    awaitingAgent: c.bookkeeping.awaitingAgent,
    interIdxKnown: c.bookkeeping.lastInterIdx !== null,
    connectAttempts: c.bookkeeping.connectAttempts,
    endReason: c.endReason,
    error: errorSignature(c.error),
    history: transcriptEntries(c.transcript).filter((e) => e.kind === 'history').length,
    outgoing: out.map((e) => `${e.mediaType}:${e.status}`),
    // Why a message failed is what the customer is shown: the server's refusal, or that the chat ended first.
    outgoingErrors: out.map((e) => errorSignature(e.error ?? null)),
    outbox: c.outbox.map((id) => out.find((e) => e.localId === id)?.status ?? '?'),
    downloads: Object.values(c.downloads)
      .map((d) => d.status)
      .sort(),
    unread: c.bookkeeping.unreadAgentKeys.length > 0,
    draft: c.compose.draft,
    suggestions: c.compose.suggestions.length > 0,
    survey: c.survey.offer ? { target: c.survey.offer.target, levels: c.survey.offer.levels.map((l) => l.key) } : null,
    surveyAnswer: c.survey.answer,
    surveySubmitted: c.survey.submitted,
    leaveMessage: c.leaveMessage,
  };
}

/** A SimulatedClock that can say which timers are pending (timer variants fire the real one). */
class ObservedClock extends SimulatedClock implements TestClock {
  private readonly timers = new Map<number, { due: number; timeout: number }>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id: number = super.setTimeout((...args: unknown[]) => {
      this.timers.delete(id);
      fn(...args);
    }, timeout);
    this.timers.set(id, { due: this.now() + timeout, timeout });
    return id;
  }

  override clearTimeout(id: number): void {
    this.timers.delete(id);
    super.clearTimeout(id);
  }

  pending(): { due: number; timeout: number }[] {
    return [...this.timers.values()].sort((a, b) => a.due - b.due);
  }
}

export class PathRun implements RunApi {
  readonly clock = new ObservedClock();
  readonly tokenRequests: TokenRequestReason[] = [];
  readonly rotatedTokens: string[] = [];
  readonly downloaded: ChatSessionEmitted[] = [];
  readonly userId = `mbt-${process.pid % 1000}-${++userCounter}`;
  private session: ChatSessionActor | undefined;
  private readonly log: RealStep[] = [];
  private microsteps: string[] = [];
  private signatures: string[] = [];
  private groups: string[][] = [];
  /** Arms of the current group waiting for the real step before theirs (see executeStep). */
  private deferredArms: { after: StepInfo; arm: () => void | Promise<void> }[] = [];
  private readonly armed: Promise<void>[] = [];
  /** The last microstep's transitions, of any real step and of the matched steps only. */
  private lastGroup: string[] = [];
  private lastMatchedGroup: string[] = [];
  private cursor = 0;
  private current: RealStep | undefined;
  private before: RealStep | undefined;
  private readonly listeners = new Set<() => void>();
  private steps: StepInfo[] = [];

  private readonly sequence = new Sequence();
  private readonly calls: ClientCall[] = [];

  private constructor(
    readonly sim: Simulator,
    private readonly breakage: Fault | undefined,
    private readonly actorOptions: ChatActorsOptions | undefined,
  ) {}

  /** Coverage counts the real, unbroken actors only. */
  private get counts(): boolean {
    return this.breakage === undefined;
  }

  /** `actorOptions`: the actors' jitter source and sleep (a scenario that checks the backoff fixes them). */
  static async create(options: { breakage?: Fault; actorOptions?: ChatActorsOptions } = {}): Promise<PathRun> {
    // Neither the robot nor the agent answers by itself: the paths script every message they send
    // (a robot answer in the background would race the steps). The simulator sends no robot reply
    // that is undefined (src/simulator/session.ts), though RobotScript types the reply as a string.
    const silentRobot = (): string => undefined as unknown as string;
    const sim = await startSimulator({
      timing: SIM_TIMING,
      uploadMaxBytes: SIM_UPLOAD_MAX_BYTES,
      scenario: { robot: { reply: silentRobot }, agent: { reply: () => null } },
    });
    return new PathRun(sim, options.breakage, options.actorOptions);
  }

  // --- RunApi

  actor(): ChatSessionActor {
    if (!this.session) throw new Error('the session has not been started');
    return this.session;
  }

  start(input: ChatSessionInput): void {
    const gatewayHeaders = akSkGatewayHeaders({ baseUrl: this.sim.url, ...this.sim.credentials });
    const tokenClient = createAiccClient({ baseUrl: this.sim.url, gatewayHeaders });
    const provider = applyTokenProvider(tokenClient, {
      userId: input.identity.userId,
      userName: input.identity.userName,
      channelId: input.identity.channelId,
      locale: input.identity.locale,
    });
    const client = createAiccClient({
      baseUrl: this.sim.url,
      gatewayHeaders,
      token: async (request) => {
        this.tokenRequests.push(request.reason);
        return provider(request);
      },
      onTokenRotated: (token) => this.rotatedTokens.push(token),
      longPollWindowMs: SIM_TIMING.longPollWindowMs ?? 100,
      timeoutMs: HOLD_MS + 4_000, // longer than any hold: a held request never times out at the client
    });
    const recorded = journaled(client, this.sequence, this.calls);
    this.wiring = { input, client: this.breakage?.client ? this.breakage.client(recorded) : recorded };
    this.build();
  }

  private wiring: { input: ChatSessionInput; client: AiccClient } | undefined;

  /**
   * The page reloads: the session stops, and a new one starts from `persisted` (its
   * getPersistedSnapshot()) with the same client, as a host restores a session.
   */
  restore(persisted: PersistedChatSession): void {
    this.session?.stop();
    this.build(persisted);
  }

  private build(persisted?: PersistedChatSession): void {
    if (!this.wiring) throw new Error('the session has not been started');
    const { input, client: used } = this.wiring;
    const inspect = (event: InspectionEvent) => this.inspect(event);
    const restored = persisted === undefined ? {} : { snapshot: persisted };
    if (this.ownMachine) {
      const shipped = this.breakage?.machine ? this.breakage.machine(chatSessionMachine) : chatSessionMachine;
      const machine = shipped.provide({ actors: this.breakage?.actors?.(used, this.actorOptions) ?? createChatActors(used, this.actorOptions) });
      // As createChatSession restores (src/session/restore.ts).
      const snapshot = persisted === undefined ? {} : { snapshot: prepareRestoredSnapshot(persisted) };
      this.session = createActor(machine, { input, clock: this.clock, inspect, ...snapshot });
    } else if (this.breakage || this.actorOptions || persisted !== undefined) {
      // Actors with options of their own make a machine of their own: not the one guards.ts instruments.
      this.session = createChatSession({ client: used, ...input, clock: this.clock, inspect, ...this.ownActorOptions, ...restored });
    } else {
      observeRealGuards(); // guard outcomes (guards.ts): before the first session is built
      this.session = createChatSession({ client: used, ...input, clock: this.clock, inspect });
      assertObserved(this.session);
    }
    this.session.on('file.downloaded', (event) => this.downloaded.push(event));
    this.session.start();
  }

  private get ownActorOptions(): { actorOptions?: ChatActorsOptions } {
    return this.actorOptions ? { actorOptions: this.actorOptions } : {};
  }

  /** A fault's own machine is matched by what its transitions do, not by their config entry. */
  private get bySignature(): boolean {
    return this.breakage?.machine !== undefined;
  }

  /** A fault's machine or actors run without createChatSession. */
  private get ownMachine(): boolean {
    return this.breakage?.machine !== undefined || this.breakage?.actors !== undefined;
  }

  send(event: ChatSessionEvent): void {
    if (this.ownMachine) {
      // A broken machine runs without createChatSession: screen what a host sends the same way.
      const refused = refusedHostEvent(event);
      this.actor().send(refused === null ? event : { type: 'event.rejected', error: refused });
      return;
    }
    this.actor().send(event);
  }

  matched(): MachineSnapshot {
    if (!this.current) throw new Error('no step matched yet');
    return this.current.snapshot;
  }

  previous(): MachineSnapshot {
    if (!this.before) throw new Error('no step matched yet');
    return this.before.snapshot;
  }

  context(): ChatSessionContext {
    return this.actor().getSnapshot().context;
  }

  realEvents(): ({ type: string } & Record<string, unknown>)[] {
    return this.log.map((step) => step.event);
  }

  private readonly holds = new Map<ApiName, number>();

  hold(api: ApiName, delayMs: number): void {
    this.holds.set(api, this.sim.requestsFor(api).length);
    this.sim.faults.next(api, { delayMs });
  }

  async whenHeld(api: ApiName): Promise<void> {
    const since = this.holds.get(api);
    if (since === undefined) throw new Error(`nothing was held for ${api}`);
    await this.eventually(() => this.sim.requestsFor(api).slice(since).some((r) => r.fault === 'delay'), `the held ${api} request in flight`);
  }

  async holdPoll(): Promise<void> {
    const before = this.sim.requestsFor('poll').length;
    this.sim.faults.next('poll', { delayMs: POLL_HOLD_MS });
    await this.eventually(() => this.sim.requestsFor('poll').slice(before).some((r) => r.fault === 'delay'), 'a held poll in flight');
  }

  async holdQueueWatcher(waitInFlight: boolean): Promise<void> {
    const before = this.sim.requestsFor('queryQueueInfo').length;
    this.sim.faults.next('queryQueueInfo', { delayMs: HOLD_MS });
    if (waitInFlight) {
      await this.eventually(
        () => this.sim.requestsFor('queryQueueInfo').slice(before).some((r) => r.fault === 'delay'),
        'a held queue query in flight',
      );
    }
  }

  private cancelled = false;

  /** Ends the run's waits at once (a mutation run stops the paths still running after a kill). */
  cancel(): void {
    this.cancelled = true;
    for (const listener of this.listeners) listener();
  }

  private throwIfCancelled(): void {
    if (this.cancelled) throw new Error('cancelled');
  }

  async eventually(check: () => void | boolean, what: string, timeoutMs = STEP_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      this.throwIfCancelled();
      try {
        if (check() !== false) return;
        lastError = undefined;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${lastError ? ` (${String(lastError)})` : ''}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  // --- inspection: the real actor's macrosteps and coverage

  private inspect(event: InspectionEvent): void {
    if (event.actorRef.sessionId !== event.rootId) return;
    if (event.type === '@xstate.microstep') {
      const ids = event._transitions.map((t) => transitionId(t));
      this.microsteps.push(...ids);
      this.signatures.push(
        ...event._transitions.map((t) => signature((t.source as AnyStateNode).id, t.eventType === '' ? 'always' : t.eventType, (t.target ?? []).map((n: AnyStateNode) => n.id))),
      );
      const [group] = countedGroups([ids]);
      if (group) {
        if (this.counts) for (const pair of pairsOf(this.lastGroup, [group])) realCoverage.pairs.add(pair);
        this.lastGroup = group;
        this.groups.push(group);
      }
      if (this.counts) {
        for (const id of ids) realCoverage.transitions.add(id);
        for (const n of (event.snapshot as MachineSnapshot)._nodes) realCoverage.nodes.add(n.id);
      }
    } else if (event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as MachineSnapshot;
      if (this.counts) for (const n of snapshot._nodes) realCoverage.nodes.add(n.id);
      const step: RealStep = {
        seq: this.sequence.next(),
        event: event.event as RealStep['event'],
        transitions: this.microsteps,
        signatures: this.signatures,
        microsteps: this.groups,
        snapshot,
        value: JSON.stringify(snapshot.value),
      };
      this.log.push(step);
      this.microsteps = [];
      this.signatures = [];
      this.groups = [];
      this.armAfter(step);
      for (const listener of this.listeners) listener();
    }
  }

  private describeReal(step: RealStep): string {
    const described = this.bySignature ? step.signatures.map((t) => `{${t}}`) : step.transitions.map(describeTransition);
    const transitions = described.length ? described.join('; ') : 'no transition';
    return `${step.event.type}: ${transitions} ⇒ ${step.value}`;
  }

  private recent(): string {
    return this.log
      .slice(Math.max(0, this.cursor - 3))
      .map((s, i) => `    ${i + Math.max(0, this.cursor - 3) < this.cursor ? '✓' : '·'} ${this.describeReal(s)}`)
      .join('\n');
  }

  /** Waits for the real macrostep that corresponds to the step. */
  private async match(info: StepInfo): Promise<void> {
    const expected = info.after;
    if (!expected.machine) throw new Error('model step without machine');
    const type = realEventType(info);
    const value = JSON.stringify(expected.machine.value);
    const previous = info.before.machine ? JSON.stringify(info.before.machine.value) : null;
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      this.throwIfCancelled();
      while (this.cursor < this.log.length) {
        const real = this.log[this.cursor]!;
        this.cursor += 1;
        if (takes(real, info, this.bySignature)) {
          this.before = this.current ?? real;
          this.current = real;
          if (this.counts) for (const pair of pairsOf(this.lastMatchedGroup, real.microsteps)) realCoverage.pairs.add(pair);
          this.lastMatchedGroup = real.microsteps.at(-1) ?? this.lastMatchedGroup;
          return;
        }
        // The event the test itself sent (a user event, a timer it fired) is the step's: if the
        // real actor took it otherwise (or not at all), that is the answer, not background.
        const ownEvent = SENT_BY_THE_TEST.has(variantOf(info.event.variant).kind) && real.event.type === type;
        const background =
          !ownEvent && real.value === previous && (this.bySignature ? real.signatures.every((t) => BACKGROUND_SIGNATURES.has(t)) : real.transitions.every((t) => BACKGROUND.has(t)));
        if (background) continue;
        throw new Error(
          [
            `step ${info.index} "${info.event.variant}": the real actor did something else.`,
            `  expected ${type}: ${expected.taken.map(describeTransition).join('; ') || 'no transition'} ⇒ ${value}`,
            `  real     ${this.describeReal(real)}`,
            `  recent real steps:`,
            this.recent(),
          ].join('\n'),
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          [
            `step ${info.index} "${info.event.variant}": timed out after ${STEP_TIMEOUT_MS} ms waiting for the real actor.`,
            `  expected ${type}: ${expected.taken.map(describeTransition).join('; ') || 'no transition'} ⇒ ${value}`,
            `  real actor is in ${this.session ? JSON.stringify(this.session.getSnapshot().value) : '(not started)'}; recent real steps:`,
            this.recent() || '    (none)',
          ].join('\n'),
        );
      }
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          this.listeners.delete(finish);
          resolve();
        };
        const timer = setTimeout(finish, Math.min(left, 50));
        this.listeners.add(finish);
      });
    }
  }

  // --- one path

  private groupOf(index: number): number[] {
    const members = [index];
    for (let j = index + 1; j < this.steps.length && !ACTION_KINDS.has(variantOf(this.steps[j]!.event.variant).kind); j += 1) members.push(j);
    return members;
  }

  /**
   * An action step prepares its group: its own `arm` now; each later member's `arm`, and then the
   * next group's `armAhead`, at the moment the real actor takes the step before it (synchronously,
   * in the inspect callback: before the request that step starts can reach the simulator). So two
   * requests of one API in one group get their own answers (a message sent, then the next one
   * queued behind it refused), in order.
   */
  private async executeStep(index: number): Promise<void> {
    const info = this.steps[index]!;
    const variant = variantOf(info.event.variant);
    if (ACTION_KINDS.has(variant.kind)) {
      await variant.ready?.(this, info);
      // Faults armed for earlier groups are spent by now; drop any that were not.
      this.sim.faults.clear();
      this.deferredArms = [];
      await variant.arm?.(this, info);
      const group = this.groupOf(index);
      for (const j of group.slice(1)) {
        const member = this.steps[j]!;
        const arm = variantOf(member.event.variant).arm;
        if (arm) this.deferredArms.push({ after: this.steps[j - 1]!, arm: () => arm(this, member) });
      }
      const next = this.steps[group[group.length - 1]! + 1];
      const armAhead = next && variantOf(next.event.variant).armAhead;
      if (next && armAhead) {
        const last = this.steps[group[group.length - 1]!]!;
        this.deferredArms.push({ after: last, arm: () => armAhead(this, next) });
      }
      await variant.act?.(this, info);
    }
    await this.match(info);
    await Promise.all(this.armed.splice(0));
  }

  /** Runs the deferred arms that wait for this real macrostep (see executeStep). */
  private armAfter(real: RealStep): void {
    while (this.deferredArms[0] && takes(real, this.deferredArms[0].after, this.bySignature)) {
      const { arm } = this.deferredArms.shift()!;
      // Never throw into XState's inspection: the error surfaces when the step is awaited.
      let result: Promise<void>;
      try {
        result = Promise.resolve(arm());
      } catch (error) {
        result = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      result.catch(() => {});
      this.armed.push(result);
    }
  }

  private async checkStep(index: number): Promise<void> {
    const info = this.steps[index]!;
    const model = info.after.machine;
    if (!model) return;
    const real = promises(this.matched());
    const predicted = promises(model);
    // Name the fields that differ: vitest elides most of a 19-field object in its message.
    const differing = Object.keys(predicted).filter((key) => JSON.stringify(real[key]) !== JSON.stringify(predicted[key]));
    // And the real macrosteps that led here, batches by key (h: a history copy): a race shows in their order.
    const led = differing.length === 0 ? '' : `; real macrosteps up to it: ${this.log.slice(-6).map(describeRealStep).join(' → ')}`;
    expect(real, `context after step ${index} "${info.event.variant}" (differing: ${differing.map((key) => `${key} ${JSON.stringify(real[key])} ≠ ${JSON.stringify(predicted[key])}`).join('; ')}${led})`).toEqual(predicted);
    const oracle = info.before.machine ? ORACLES[info.event.variant]?.(info.before.machine) : undefined;
    if (oracle) this.checkOracle(info, oracle);
    await variantOf(info.event.variant).check?.(this, info);
    const last = index === this.steps.length - 1 || ACTION_KINDS.has(variantOf(this.steps[index + 1]!.event.variant).kind);
    if (last) await this.statePromises(info.after);
  }

  /** The expectation written down from the docs (oracles.ts), against the real actor. */
  private checkOracle(info: StepInfo, oracle: Oracle): void {
    const real = this.matched();
    const where = `after step ${info.index} "${info.event.variant}" (docs/statechart.md)`;
    for (const value of oracle.in === undefined ? [] : Array.isArray(oracle.in) ? oracle.in : [oracle.in]) {
      expect(real.matches(value as never), `${where}: the real actor is in ${JSON.stringify(value)}; it is in ${JSON.stringify(real.value)}`).toBe(true);
    }
    if (oracle.endReason !== undefined) expect(real.context.endReason, `${where}: end reason`).toBe(oracle.endReason);
    if (oracle.error !== undefined) expect(errorSignature(real.context.error), `${where}: context.error`).toBe(oracle.error);
    if (oracle.servedBy !== undefined) expect(real.context.servedBy, `${where}: servedBy`).toBe(oracle.servedBy);
    if (oracle.awaitingAgent !== undefined) expect(real.context.bookkeeping.awaitingAgent, `${where}: awaitingAgent`).toBe(oracle.awaitingAgent);
    if (oracle.surveySubmitted !== undefined) expect(real.context.survey.submitted, `${where}: surveySubmitted`).toBe(oracle.surveySubmitted);
  }

  /** What each state promises about the outside world, checked when the system is at rest. */
  private async statePromises(after: ModelSnapshot): Promise<void> {
    const m = after.machine!;
    const view = this.sim.session(this.userId);
    if (m.matches({ connected: 'queuing' } as never) && after.world.party === 'queued') {
      expect(view?.state, 'the simulator has the customer queued').toBe('queued');
      await this.eventually(() => {
        const queue = this.context().queue;
        return queue?.status === 'queuing' && queue.position === this.sim.session(this.userId)?.queuePosition;
      }, 'context.queue shows the position the simulator reports');
    }
    {
      // A file worker runs while a transfer of its kind is pending, and only then (an idle one is
      // heap every session would pay: docs/performance.md); none outlives `connected`.
      const real = this.matched();
      const inConnected = real.matches('connected' as never);
      const running = fileWorkersOf(real);
      expect(running.includes('uploadFile'), 'the upload worker runs exactly while an upload is pending').toBe(inConnected && pendingUploads(real.context).length > 0);
      expect(running.includes('downloadFile'), 'the download worker runs exactly while a download is pending').toBe(inConnected && pendingDownloads(real.context).length > 0);
    }
    if (!m.matches({ connected: 'queuing' } as never)) {
      // A queue position shown after the queue was left (served, transferred back, ended) would be stale.
      expect(this.matched().context.queue, 'no queue position outside queuing').toBeNull();
    }
    if (m.matches({ connected: 'chatting' } as never)) {
      expect(view?.state, 'the simulator has the customer with the same party').toBe(after.world.party);
      // Still chatting after the server ended (its DISCONNECT lost, not yet confirmed): known, not
      // shown. Known at once when the catch-up's liveness question was answered; when it was not,
      // after the question asked again beside the next answered poll (the live actor may have
      // reported the loss by then: session-released).
      if (after.world.party === 'ended') {
        await this.eventually(() => {
          const live = this.actor().getSnapshot().context;
          return (live.bookkeeping.serverGone ?? null) !== null || live.endReason === 'session-released';
        }, 'the chat knows the server ended it');
      } else expect(this.matched().context.servedBy).toBe(after.world.party);
    }
    if (m.matches({ connected: { 'survey-robot': 'form' } } as never)) {
      expect(this.matched().context.bookkeeping.lastInterIdx, 'survey-robot knows the last interIdx').toBe(view?.interIdx);
      expect(view?.state, 'the robot session is still there to be rated').not.toBe('idle');
    }
    if (m.matches({ connected: { 'survey-agent': 'form' } } as never)) {
      expect(view?.callId, 'there is an agent call to rate').toBeTruthy();
      expect(this.matched().context.survey.offer?.levels.map((l) => l.key)).toEqual(this.sim.scenario.surveyLevels.map((l) => l.key));
    }
    if (m.matches('leave-message' as never)) {
      expect(['robot', 'queued', 'agent'], 'no session is left open when offering leave-message').not.toContain(view?.state);
    }
    if (m.status === 'done') {
      const snapshot = this.actor().getSnapshot();
      expect(snapshot.status).toBe('done');
      expect(snapshot.output?.endReason, 'the session ends with the predicted reason').toBe(m.context.endReason ?? 'customer-ended');
    }
  }

  /** Invariants at the end of every path. */
  private finalChecks(): void {
    const context = this.actor().getSnapshot().context;
    const keys = transcriptEntries(context.transcript).map((e) => e.key);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i), 'every message is in the transcript once').toEqual([]);
    const sent = (this.sim.session(this.userId)?.transcript ?? []).filter((t) => t.direction === 'downlink' && t.controlType !== 'READ');
    const downlinks = sent.map((t) => t.messageCode);
    const incoming = transcriptEntries(context.transcript).filter((e) => e.kind === 'incoming').map((e) => e.key);
    let at = 0;
    for (const key of incoming) {
      // The poll loop's stand-in for a DISCONNECT lost in transit (session.lost): the simulator
      // must really have sent a DISCONNECT there, one the client never received.
      const found = key.startsWith('lost-disconnect:')
        ? sent.findIndex((t, i) => i >= at && t.controlType === 'DISCONNECT' && !keysOf(context).has(t.messageCode))
        : downlinks.indexOf(key, at);
      expect(found, `incoming message ${key} is one the simulator sent, in the order it sent them`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    expect(this.sim.violations, 'the simulator saw no protocol violation').toEqual([]);
  }

  /**
   * Runs the path through TestModel.testPath: its failure message ends with the path trace.
   * `afterStep` (the walks' safety oracles) runs after each step's checks and may stop the run.
   */
  async run(path: StatePath<ModelSnapshot, ModelEvent>, model: TestModel<ModelSnapshot, ModelEvent, unknown>, afterStep?: () => void): Promise<void> {
    this.steps = path.steps.map((step, index) => ({
      index,
      event: step.event,
      before: index === 0 ? step.state : path.steps[index - 1]!.state,
      after: step.state,
    }));
    const indexOf = new Map<unknown, number>(path.steps.map((step, index) => [step, index]));
    let currentIndex = 0;
    const exec = async (step: unknown) => {
      currentIndex = indexOf.get(step) ?? -1;
      await this.executeStep(currentIndex);
    };
    const types = new Set(path.steps.slice(1).map((s) => s.event.type));
    await model.testPath(path, {
      events: Object.fromEntries([...types].map((t) => [t, exec])),
      states: {
        '*': async () => {
          if (currentIndex > 0) await this.checkStep(currentIndex);
          afterStep?.();
        },
      },
    });
    if (this.session) this.finalChecks();
  }

  /** What the run did so far (trace.ts). */
  trace(): Trace {
    return {
      calls: this.calls,
      steps: this.log.map(({ seq, event, snapshot }) => ({ seq, event, snapshot })),
      requests: this.sim.requests.filter((r) => r.userId === this.userId || r.userId === undefined),
      last: this.session?.getSnapshot(),
    };
  }

  /**
   * Drives a session a run left unfinished (a failed step) to its end, as a customer would: no
   * more faults; chat.end, or skip the survey or the leave-message form, whenever that does
   * something; the rest (DISCONNECT) by itself. A hang detector bounds the wait; what is not final
   * then stays so (the walks' oracles say so).
   */
  async drain(): Promise<void> {
    const session = this.session;
    if (!session || session.getSnapshot().status !== 'active') return;
    this.sim.faults.clear();
    const ways: ChatSessionEvent[] = [{ type: 'chat.end' }, { type: 'survey.skip' }, { type: 'leaveMessage.skip' }];
    await this.eventually(() => {
      const snapshot = session.getSnapshot();
      if (snapshot.status !== 'active') return true;
      const way = ways.find((event) => snapshot.can(event));
      if (way) session.send(way);
      return false;
    }, 'the session to end').catch(() => undefined);
  }

  async dispose(): Promise<void> {
    this.session?.stop();
    await this.sim.close();
  }
}

function keysOf(context: ChatSessionContext): Set<string> {
  return new Set(transcriptEntries(context.transcript).map((e) => e.key));
}
