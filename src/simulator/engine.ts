/**
 * Per-user chat state: the session state machine (idle → robot | queued → agent → ended),
 * the downlink queue that poll drains, the long-poll waiter, history and the scripted robot,
 * queue and agent. HTTP knows nothing in here; handlers and the control API both drive it.
 */
import {
  CHANNEL,
  QueueResultCode,
  ResultCode,
  ResultDesc,
  type WireDownlinkMessage,
  type WireHistoryMessage,
} from '../client/protocol.js';
import { mediaTypeForFileType, type FileStore } from './files.js';
import { newCallId, newLibraryId, newMessageCode, newObjectKey, newRecordId } from './ids.js';
import { InferredDesc, MoreResultDesc, SystemText } from './texts.js';
import type { TimerGroup, TimerSet } from './timers.js';
import type {
  AgentFile,
  FeedbackRecord,
  LeaveMessageRecord,
  SatisfactionRecord,
  Scenario,
  ServerEndReason,
  ServerTranscriptEntry,
  SessionView,
  SimulatorTiming,
  ViolationRule,
} from './types.js';

export interface EngineDeps {
  channelId: string;
  scenario: Scenario;
  timing: SimulatorTiming;
  now: () => number;
  timers: TimerSet;
  files: FileStore;
}

/** Result of a send: resultCode and resultDesc. */
export interface Outcome {
  code: string;
  desc: string;
}

/** Records a violation against the request being handled. */
export type Violate = (rule: ViolationRule, message: string) => void;

type ActiveState = 'robot' | 'queued' | 'agent';

export class Session {
  state: ActiveState | 'ended';
  /** Who serves (or last served) the customer; 'agent' from the moment of queuing. */
  servedBy: 'robot' | 'agent';
  callId: string | null = null;
  /** Last interIdx handed out by the robot; 0 before the greeting. */
  interIdx = 0;
  queuePosition: number | null = null;
  queuedAt: number | null = null;
  hadAgentCall = false;
  /** sim.system.forget: the service lost it (no downlink told the client). */
  forgotten = false;
  readonly transcript: ServerTranscriptEntry[] = [];
  /** Ids the agent's READ notice lists, one per customer CHAT, in order. */
  readonly customerReadIds: string[] = [];
  readCount = 0;
  satisfaction: SatisfactionRecord | null = null;
  feedback: FeedbackRecord | null = null;
  endReason: ServerEndReason | null = null;
  /** The customer sent DISCONNECT (before or after a server-side end). */
  customerDisconnected = false;
  readonly timers: TimerGroup = new Set();
  queueTimer: NodeJS.Timeout | undefined;

  constructor(state: ActiveState) {
    this.state = state;
    this.servedBy = state === 'robot' ? 'robot' : 'agent';
  }

  get active(): boolean {
    return this.state !== 'ended';
  }
}

interface PendingPoll {
  isNeedRead: boolean;
  resolve: (messages: WireDownlinkMessage[]) => void;
  timer: NodeJS.Timeout;
}

interface HistoryEntry {
  seq: number;
  message: WireHistoryMessage;
}

export class UserRecord {
  session: Session | undefined;
  /** The latest CONNECT was refused (12, 13, CCUCS codes; sendAsync reports it by poll). */
  connectRefused = false;
  readonly history: HistoryEntry[] = [];
  downlink: WireDownlinkMessage[] = [];
  pendingPoll: PendingPoll | undefined;
  lastBatch: WireDownlinkMessage[] = [];
  lastStamp = 0;
  readonly leaveMessages: LeaveMessageRecord[] = [];
  idleTimer: NodeJS.Timeout | undefined;
  flushScheduled = false;
  /** messageCode → poll answers carrying it that were written to a socket, and when first. */
  readonly deliveries = new Map<string, { count: number; firstAt: number }>();

  constructor(readonly userId: string) {}
}

/** What the customer sent in a CHAT. */
export interface Uplink {
  mediaType: string;
  content: string;
  /** The request's timestamp string, if any. */
  timestamp?: string;
  senderNickname?: string;
  senderAvatar?: string | null;
}

interface DownlinkFields {
  sourceType: 'AGENT' | 'ROBOT' | 'SYSTEM';
  controlType: 'CHAT' | 'DISCONNECT' | 'READ';
  mediaType: string | null;
  content: string | null;
  senderNickname: string | null;
  senderAvatar?: string | null;
  callId?: string | null;
  interIdx?: string | null;
  robotGender?: string | null;
  isOfflineStatus?: boolean | null;
  contentType?: string | null;
  mediaFileType?: string | null;
  queueFlag?: string | null;
}

export interface HistoryFilter {
  limit: number;
  offset: number;
  startTime?: number;
  endTime?: number;
}

export class Engine {
  private readonly users = new Map<string, UserRecord>();
  /** Sessions waiting in the queue, so queryQueueInfo costs O(queue), not O(all users). */
  private readonly queued = new Set<Session>();
  /** Users with a poll waiting, so close and reset do not walk every user. */
  private readonly waiting = new Set<UserRecord>();
  private historySeq = 0;

  constructor(private readonly deps: EngineDeps) {}

  private get scenario(): Scenario {
    return this.deps.scenario;
  }

  // -------------------------------------------------------------------------------------------
  // Users

  user(userId: string): UserRecord {
    let user = this.users.get(userId);
    if (!user) {
      user = new UserRecord(userId);
      this.users.set(userId, user);
    }
    return user;
  }

  find(userId: string): UserRecord | undefined {
    return this.users.get(userId);
  }

  isActive(userId: string): boolean {
    return this.users.get(userId)?.session?.active ?? false;
  }

  // -------------------------------------------------------------------------------------------
  // Uplink control types

  connect(user: UserRecord, violate: Violate): Outcome {
    const current = user.session;
    if (current?.active) {
      // Idempotent for the client, but a second CONNECT means its state machine lost track.
      violate('duplicate-connect', `CONNECT while a session is already ${current.state}`);
      return current.servedBy === 'robot'
        ? { code: ResultCode.SUCCESS, desc: ResultDesc.connectRobot }
        : { code: ResultCode.SUCCESS, desc: ResultDesc.connectAgent };
    }
    const { connectFailure, connectTo, workingHours } = this.scenario;
    user.connectRefused = true;
    if (connectFailure === 'no-ccucs') return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.noCcucs };
    if (connectFailure === 'robot-init') return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.robotInitFailed };
    if (connectTo === 'agent' && !workingHours) return { code: ResultCode.AFTER_HOURS, desc: ResultDesc.afterHours };
    user.connectRefused = false;

    const session = new Session(connectTo === 'robot' ? 'robot' : 'queued');
    user.session = session;
    this.restartIdle(user);
    if (connectTo === 'robot') {
      this.robotMessage(user, session, this.scenario.robot.greeting);
      return { code: ResultCode.SUCCESS, desc: ResultDesc.connectRobot };
    }
    this.startQueue(user, session);
    return { code: ResultCode.SUCCESS, desc: ResultDesc.connectAgent };
  }

  chat(user: UserRecord, uplink: Uplink, violate: Violate): Outcome {
    const session = user.session;
    if (!session?.active) {
      this.noSession(user, 'chat-without-session', 'CHAT', violate);
      // A robot session the service lost answers as TRANS2AGENT does then [inferred].
      if (session?.forgotten && session.servedBy === 'robot') return { code: ResultCode.INTERNAL_FAILURE, desc: InferredDesc.sessionKeepTouchFailed };
      return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.chatAgentFailed };
    }
    this.recordUplink(user, session, uplink);
    const text = uplink.mediaType === 'TEXT' ? uplink.content : undefined;

    if (session.state === 'robot') {
      const keyword = text !== undefined && this.scenario.robot.transferKeywords.some((k) => k !== '' && text.toLowerCase().includes(k.toLowerCase()));
      this.deps.timers.set(
        () => {
          if (session.state !== 'robot') return;
          if (keyword) {
            // A transfer keyword acts as TRANS2AGENT; a failure can only surface as a notice now.
            const outcome = this.transfer(user, violate);
            if (outcome.code !== ResultCode.SUCCESS) this.systemMessage(user, outcome.desc);
          } else if (text !== undefined) {
            const reply = safeCall(() => this.scenario.robot.reply(text));
            if (reply !== undefined) this.robotMessage(user, session, reply);
          }
        },
        this.deps.timing.robotReplyDelayMs,
        session.timers,
      );
      return { code: ResultCode.SUCCESS, desc: ResultDesc.chatRobot };
    }
    if (session.state === 'agent' && text !== undefined) {
      this.deps.timers.set(
        () => {
          if (session.state !== 'agent') return;
          const reply = safeCall(() => this.scenario.agent.reply(text));
          if (typeof reply === 'string') this.agentMessage(user, session, reply);
        },
        this.deps.timing.agentReplyDelayMs,
        session.timers,
      );
    }
    // Queued: stored for the agent, who sees it on pick-up.
    return { code: ResultCode.SUCCESS, desc: ResultDesc.chatAgent };
  }

  transfer(user: UserRecord, violate: Violate): Outcome {
    const session = user.session;
    if (!session?.active) {
      this.noSession(user, 'transfer-without-session', 'TRANS2AGENT', violate);
      return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.transferSessionLost };
    }
    if (session.state !== 'robot') {
      return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.transferAlreadyAgent };
    }
    // No agent channel config at all wins over working hours: there is nobody to ask.
    if (!this.scenario.agentsAvailable) {
      return { code: ResultCode.INTERNAL_FAILURE, desc: ResultDesc.transferNoChannelConfig };
    }
    if (!this.scenario.workingHours) {
      return { code: ResultCode.AFTER_HOURS, desc: ResultDesc.transferAfterHours };
    }
    this.systemMessage(user, SystemText.transferring);
    this.startQueue(user, session);
    return { code: ResultCode.SUCCESS, desc: MoreResultDesc.transferAccepted };
  }

  disconnect(user: UserRecord): Outcome {
    const session = user.session;
    if (!session) {
      // Ending a chat that never started is harmless [inferred]; the flow may do it after
      // a failed CONNECT + leave-message.
      return { code: ResultCode.SUCCESS, desc: ResultDesc.disconnectAgent };
    }
    session.customerDisconnected = true;
    const desc = session.servedBy === 'robot' ? ResultDesc.disconnectRobot : ResultDesc.disconnectAgent;
    // After a server-side end the documented flow still sends DISCONNECT (after the survey).
    if (session.active) this.end(user, session, 'customer-disconnect');
    return { code: ResultCode.SUCCESS, desc };
  }

  /** How sendAsync reports what send would have answered with a failure code [inferred]. */
  asyncFailure(user: UserRecord, desc: string, disconnect: boolean): void {
    this.systemMessage(user, desc);
    if (disconnect) {
      this.emitSystemDisconnect(user, true);
    }
  }

  private noSession(user: UserRecord, rule: ViolationRule, what: string, violate: Violate): void {
    const session = user.session;
    // A CHAT that raced a server-side end is not the client's fault.
    if (!session) violate(rule, `${what} before any CONNECT`);
    else if (session.customerDisconnected) violate(rule, `${what} after the client's own DISCONNECT`);
  }

  private recordUplink(user: UserRecord, session: Session, uplink: Uplink): void {
    const stamp = this.stamp(user);
    const messageCode = newMessageCode();
    session.transcript.push({
      direction: 'uplink',
      sourceType: 'CUSTOMER',
      controlType: 'CHAT',
      mediaType: uplink.mediaType,
      content: uplink.content,
      timestamp: stamp,
      messageCode,
      callId: session.callId,
      ...(uplink.timestamp !== undefined ? { wireTimestamp: uplink.timestamp } : {}),
    });
    // READ lists what the client can correlate: its own timestamp strings [inferred].
    session.customerReadIds.push(uplink.timestamp ?? String(stamp));
    this.addHistory(user, {
      senderNickname: uplink.senderNickname ?? null,
      senderAvatar: uplink.senderAvatar ?? null,
      sendTime: stamp,
      receiveTime: stamp,
      controlType: 'CHAT',
      sourceType: 'USER',
      mediaType: uplink.mediaType,
      content: uplink.content,
      callId: session.callId,
      messageCode,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Queue

  private startQueue(user: UserRecord, session: Session): void {
    session.state = 'queued';
    session.servedBy = 'agent';
    session.queuePosition = this.scenario.initialQueuePosition;
    session.queuedAt = this.deps.now();
    this.queued.add(session);
    this.emit(user, {
      sourceType: 'SYSTEM',
      controlType: 'CHAT',
      mediaType: 'TEXT',
      content: SystemText.queuing,
      senderNickname: SystemText.nickname,
      queueFlag: 'Y',
    });
    if (session.queuePosition <= 0) this.serve(user, session);
    else this.scheduleAdvance(user, session);
  }

  private scheduleAdvance(user: UserRecord, session: Session): void {
    const every = this.deps.timing.queueAdvanceMs;
    if (every <= 0) return;
    this.deps.timers.clear(session.queueTimer);
    session.queueTimer = this.deps.timers.set(
      () => {
        session.queueTimer = undefined;
        if (session.state !== 'queued') return;
        this.advance(user, session, 1);
        if (session.state === 'queued') this.scheduleAdvance(user, session);
      },
      every,
      session.timers,
    );
  }

  private advance(user: UserRecord, session: Session, steps: number): void {
    session.queuePosition = Math.max(0, (session.queuePosition ?? 0) - steps);
    if (session.queuePosition === 0) this.serve(user, session);
  }

  private serve(user: UserRecord, session: Session): void {
    this.queued.delete(session);
    this.deps.timers.clear(session.queueTimer);
    session.queueTimer = undefined;
    session.state = 'agent';
    session.queuePosition = null;
    session.callId = newCallId(this.deps.now());
    session.hadAgentCall = true;
    this.systemMessage(user, SystemText.connected);
    this.agentMessage(user, session, this.scenario.agent.greeting);
  }

  queueInfo(user: UserRecord, violate?: Violate): Record<string, string | number> {
    const session = user.session;
    // Asking about a CONNECT that was refused (sendAsync says so only by poll) is the client's mistake.
    if (user.connectRefused) violate?.('queue-before-connect', 'queryQueueInfo after a refused CONNECT, before any was accepted');
    // queryQueueInfo is answered by CCUCS. A robot conversation has no CCUCS call until
    // TRANS2AGENT, so CCUCS finds no session: 160004 [inferred].
    if (!session?.active || session.state === 'robot') return { resultCode: QueueResultCode.SESSION_NOT_FOUND };
    if (session.state === 'agent') return { resultCode: QueueResultCode.WITH_AGENT };
    const now = this.deps.now();
    const waited = Math.max(0, Math.floor((now - (session.queuedAt ?? now)) / 1000));
    const position = session.queuePosition ?? 1;
    const perStep = this.deps.timing.queueAdvanceMs > 0 ? this.deps.timing.queueAdvanceMs / 1000 : 30;
    let longest = waited;
    for (const s of this.queued) {
      if (s.state === 'queued' && s.queuedAt !== null) longest = Math.max(longest, Math.floor((now - s.queuedAt) / 1000));
    }
    return {
      resultCode: QueueResultCode.QUEUING,
      position,
      totalWaitTime: waited,
      currentDeviceWaitTime: waited,
      configMaxcWaitTime: 60,
      longestWaitTime: longest,
      estimateWaitTime: Math.ceil(position * perStep),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Session end and keep-alive

  private end(user: UserRecord, session: Session, reason: ServerEndReason): void {
    this.queued.delete(session);
    session.state = 'ended';
    session.endReason = reason;
    session.queuePosition = null;
    this.deps.timers.clearGroup(session.timers);
    session.queueTimer = undefined;
    this.deps.timers.clear(user.idleTimer);
    user.idleTimer = undefined;
  }

  /** Polling keeps the session alive: the release timer restarts on every poll. */
  private restartIdle(user: UserRecord): void {
    if (!user.session?.active) {
      this.deps.timers.clear(user.idleTimer);
      user.idleTimer = undefined;
      return;
    }
    // Every poll restarts it (twice): re-arm the pending timer rather than replace it.
    if (this.deps.timers.refresh(user.idleTimer)) return;
    user.idleTimer = this.deps.timers.set(() => {
      user.idleTimer = undefined;
      this.release(user);
    }, this.deps.timing.sessionIdleTimeoutMs);
  }

  private release(user: UserRecord): void {
    const session = user.session;
    if (!session?.active) return;
    this.emitSystemDisconnect(user, false);
    this.end(user, session, 'idle-release');
  }

  // -------------------------------------------------------------------------------------------
  // Poll

  /** One long poll: at once when something waits, else when something arrives or the window ends. */
  poll(
    user: UserRecord,
    opts: { isNeedRead: boolean; duplicate: boolean; violate: Violate; onAbandon?: (listener: () => void) => void },
  ): Promise<WireDownlinkMessage[]> {
    this.restartIdle(user);
    if (user.pendingPoll) {
      opts.violate('concurrent-poll', 'a second poll arrived while one was still waiting');
      this.finishPoll(user, []);
    }
    const ready = this.take(user, opts.isNeedRead);
    if (opts.duplicate && user.lastBatch.length > 0) {
      const again = [...user.lastBatch, ...ready];
      if (ready.length > 0) user.lastBatch = ready;
      return Promise.resolve(again);
    }
    if (ready.length > 0) {
      user.lastBatch = ready;
      return Promise.resolve(ready);
    }
    return new Promise((resolve) => {
      const timer = this.deps.timers.set(() => this.finishPoll(user, []), this.deps.timing.longPollWindowMs);
      const pending: PendingPoll = { isNeedRead: opts.isNeedRead, resolve, timer };
      user.pendingPoll = pending;
      this.waiting.add(user);
      // A poll the client gave up on must not swallow messages: they wait for the next poll.
      opts.onAbandon?.(() => {
        if (user.pendingPoll !== pending) return;
        user.pendingPoll = undefined;
        this.waiting.delete(user);
        this.deps.timers.clear(timer);
        resolve([]);
      });
    });
  }

  /** Removes what a poll delivers. READ notices are dropped for polls without isNeedRead. */
  private take(user: UserRecord, isNeedRead: boolean): WireDownlinkMessage[] {
    const out = user.downlink.filter((m) => isNeedRead || m.controlType !== 'READ');
    user.downlink = [];
    return out;
  }

  private finishPoll(user: UserRecord, messages: WireDownlinkMessage[]): void {
    const pending = user.pendingPoll;
    if (!pending) return;
    user.pendingPoll = undefined;
    this.waiting.delete(user);
    this.deps.timers.clear(pending.timer);
    if (messages.length > 0) user.lastBatch = messages;
    this.restartIdle(user);
    pending.resolve(messages);
  }

  /**
   * A poll answer that was never written (the client left during a delay): its messages go back
   * to the front of the queue, so the next poll delivers them [inferred, like abandoned polls].
   * Returns whether anything went back.
   */
  giveBack(userId: string, messages: readonly WireDownlinkMessage[]): boolean {
    const user = this.users.get(userId);
    if (!user || messages.length === 0) return false;
    const queued = new Set(user.downlink.map((m) => m.messageCode));
    const back = messages.filter((m) => !queued.has(m.messageCode));
    if (back.length === 0) return false;
    user.downlink = [...back, ...user.downlink];
    this.wake(user);
    return true;
  }

  /** A poll answer carrying these messages was written to the socket. */
  markDelivered(userId: string, messages: readonly WireDownlinkMessage[]): void {
    const user = this.users.get(userId);
    if (!user) return;
    for (const m of messages) {
      if (typeof m.messageCode !== 'string') continue;
      const seen = user.deliveries.get(m.messageCode);
      if (seen) seen.count += 1;
      else user.deliveries.set(m.messageCode, { count: 1, firstAt: this.deps.now() });
    }
  }

  private wake(user: UserRecord): void {
    const pending = user.pendingPoll;
    if (!pending || user.flushScheduled) return;
    if (!user.downlink.some((m) => pending.isNeedRead || m.controlType !== 'READ')) return;
    // Batch what is emitted in the same tick (e.g. "connected" + greeting) into one answer.
    user.flushScheduled = true;
    queueMicrotask(() => {
      user.flushScheduled = false;
      const p = user.pendingPoll;
      if (!p) return;
      const messages = this.take(user, p.isNeedRead);
      if (messages.length > 0) this.finishPoll(user, messages);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Downlink

  private stamp(user: UserRecord): number {
    // Strictly increasing per user, even with a frozen test clock.
    user.lastStamp = Math.max(this.deps.now(), user.lastStamp + 1);
    return user.lastStamp;
  }

  private emit(user: UserRecord, f: DownlinkFields): WireDownlinkMessage {
    const timestamp = this.stamp(user);
    const message: WireDownlinkMessage = {
      from: this.deps.channelId,
      channel: CHANNEL,
      to: user.userId,
      controlType: f.controlType,
      mediaType: f.mediaType,
      content: f.content,
      simQuestions: null,
      senderNickname: f.senderNickname,
      senderAvatar: f.senderAvatar ?? null,
      timestamp,
      sourceType: f.sourceType,
      callId: f.callId ?? null,
      robotGender: f.robotGender ?? null,
      interIdx: f.interIdx ?? null,
      isOfflineStatus: f.isOfflineStatus ?? null,
      messageCode: newMessageCode(),
      contentType: f.contentType ?? null,
      mediaFileType: f.mediaFileType ?? null,
      queueFlag: f.queueFlag ?? null,
      receiveTime: null,
      associationContentId: null,
      handlerType: null,
    };
    user.downlink.push(message);
    user.session?.transcript.push({
      direction: 'downlink',
      sourceType: f.sourceType,
      controlType: f.controlType,
      mediaType: f.mediaType,
      content: f.content,
      timestamp,
      messageCode: message.messageCode ?? '',
      callId: message.callId ?? null,
    });
    if (f.controlType === 'CHAT') {
      this.addHistory(user, {
        senderNickname: f.senderNickname,
        senderAvatar: message.senderAvatar ?? null,
        sendTime: timestamp,
        receiveTime: timestamp,
        controlType: 'CHAT',
        sourceType: f.sourceType,
        mediaType: f.mediaType,
        content: f.content,
        callId: message.callId ?? null,
        messageCode: message.messageCode ?? newMessageCode(),
      });
    }
    this.wake(user);
    return message;
  }

  private systemMessage(user: UserRecord, text: string): void {
    this.emit(user, {
      sourceType: 'SYSTEM',
      controlType: 'CHAT',
      mediaType: 'TEXT',
      content: text,
      senderNickname: SystemText.nickname,
    });
  }

  private robotMessage(user: UserRecord, session: Session, text: string): void {
    session.interIdx += 1;
    this.emit(user, {
      sourceType: 'ROBOT',
      controlType: 'CHAT',
      mediaType: 'TEXT',
      content: text,
      senderNickname: this.scenario.robot.nickname,
      senderAvatar: '1',
      interIdx: String(session.interIdx),
      robotGender: 'MALE',
    });
  }

  private agentMessage(user: UserRecord, session: Session, text: string): void {
    this.emit(user, {
      sourceType: 'AGENT',
      controlType: 'CHAT',
      mediaType: 'TEXT',
      content: text,
      senderNickname: this.scenario.agent.nickname,
      senderAvatar: '',
      callId: session.callId,
    });
  }

  // -------------------------------------------------------------------------------------------
  // History

  private addHistory(
    user: UserRecord,
    m: Omit<WireHistoryMessage, 'id' | 'channel' | 'associationContentId' | 'sendStatus' | 'errorMsg' | 'isForwarded' | 'forwardTime' | 'contentDealType'>,
  ): void {
    this.historySeq += 1;
    user.history.push({
      seq: this.historySeq,
      message: {
        id: newRecordId(),
        channel: CHANNEL,
        ...m,
        associationContentId: null,
        sendStatus: null,
        errorMsg: null,
        isForwarded: false,
        forwardTime: null,
        contentDealType: null,
      },
    });
  }

  /** Newest first (the documented example returns the message at endTime for limit 1) [inferred]. */
  history(user: UserRecord | undefined, filter: HistoryFilter): WireHistoryMessage[] {
    if (!user) return [];
    return user.history
      .filter(({ message }) => (filter.startTime === undefined || message.sendTime >= filter.startTime)
        && (filter.endTime === undefined || message.sendTime <= filter.endTime))
      .sort((a, b) => b.message.sendTime - a.message.sendTime || b.seq - a.seq)
      .slice(filter.offset, filter.offset + filter.limit)
      .map(({ message }) => ({ ...message }));
  }

  seedHistory(userId: string, messages: Partial<WireHistoryMessage>[]): void {
    const user = this.user(userId);
    const now = this.deps.now();
    messages.forEach((partial, i) => {
      // Default times: one minute apart, ending a minute before now (earlier sessions).
      const sendTime = partial.sendTime ?? now - (messages.length - i) * 60_000;
      this.historySeq += 1;
      user.history.push({
        seq: this.historySeq,
        message: {
          id: partial.id ?? newRecordId(),
          channel: partial.channel ?? CHANNEL,
          senderNickname: partial.senderNickname ?? null,
          senderAvatar: partial.senderAvatar ?? null,
          sendTime,
          receiveTime: partial.receiveTime ?? sendTime,
          controlType: partial.controlType ?? 'CHAT',
          sourceType: partial.sourceType ?? 'USER',
          mediaType: partial.mediaType === undefined ? 'TEXT' : partial.mediaType,
          content: partial.content === undefined ? '' : partial.content,
          callId: partial.callId ?? null,
          messageCode: partial.messageCode ?? newMessageCode(),
          associationContentId: partial.associationContentId ?? null,
          sendStatus: partial.sendStatus ?? null,
          errorMsg: partial.errorMsg ?? null,
          isForwarded: partial.isForwarded ?? false,
          forwardTime: partial.forwardTime ?? null,
          contentDealType: partial.contentDealType ?? null,
        },
      });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Control API (sim.agent / sim.robot / sim.system / sim.queue)

  private require(userId: string, op: string, states: readonly ActiveState[]): { user: UserRecord; session: Session } {
    const user = this.users.get(userId);
    const session = user?.session;
    if (!user || !session || !(states as readonly string[]).includes(session.state)) {
      throw new Error(`${op}: user "${userId}" is ${session?.state ?? (user ? 'idle' : 'unknown')}, needs ${states.join(' or ')}`);
    }
    return { user, session };
  }

  agentSay(userId: string, text: string): void {
    const { user, session } = this.require(userId, 'agent.say', ['agent']);
    this.agentMessage(user, session, text);
  }

  agentSendFile(userId: string, file: AgentFile): { fileId: string } {
    const { user, session } = this.require(userId, 'agent.sendFile', ['agent']);
    const local = file.local ?? false;
    const fileType = file.fileType.toLowerCase();
    const key = local ? newObjectKey() : newLibraryId();
    this.deps.files.put({
      key,
      bytes: new Uint8Array(file.bytes),
      fileType,
      origin: local ? 'agent-local' : 'agent-library',
      userId,
    });
    this.emit(user, {
      sourceType: 'AGENT',
      controlType: 'CHAT',
      mediaType: file.mediaType ?? mediaTypeForFileType(fileType),
      content: key,
      senderNickname: this.scenario.agent.nickname,
      senderAvatar: '',
      callId: session.callId,
      contentType: local ? '1' : null,
      mediaFileType: fileType,
    });
    return { fileId: key };
  }

  agentRead(userId: string): void {
    const { user, session } = this.require(userId, 'agent.read', ['agent']);
    const ids = session.customerReadIds.slice(session.readCount);
    session.readCount = session.customerReadIds.length;
    this.emit(user, {
      sourceType: 'AGENT',
      controlType: 'READ',
      mediaType: null,
      content: JSON.stringify(ids),
      senderNickname: this.scenario.agent.nickname,
      callId: session.callId,
    });
  }

  agentEnd(userId: string): void {
    const { user, session } = this.require(userId, 'agent.end', ['agent']);
    this.emit(user, {
      sourceType: 'AGENT',
      controlType: 'DISCONNECT',
      mediaType: null,
      content: null,
      senderNickname: null,
      callId: session.callId,
    });
    this.end(user, session, 'agent-end');
  }

  robotSay(userId: string, text: string): void {
    const { user, session } = this.require(userId, 'robot.say', ['robot']);
    this.robotMessage(user, session, text);
  }

  systemSay(userId: string, text: string): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`system.say: user "${userId}" is unknown`);
    this.systemMessage(user, text);
  }

  systemDisconnect(userId: string, isOfflineStatus: boolean): void {
    const { user, session } = this.require(userId, 'system.disconnect', ['robot', 'queued', 'agent']);
    this.emitSystemDisconnect(user, isOfflineStatus);
    this.end(user, session, 'system-disconnect');
  }

  /** The SYSTEM DISCONNECT every server-side end sends (release, refusal, operator). */
  private emitSystemDisconnect(user: UserRecord, isOfflineStatus: boolean): void {
    this.emit(user, { sourceType: 'SYSTEM', controlType: 'DISCONNECT', mediaType: null, content: null, senderNickname: null, isOfflineStatus });
  }

  releaseSession(userId: string): void {
    const { user } = this.require(userId, 'system.releaseSession', ['robot', 'queued', 'agent']);
    this.release(user);
  }

  forget(userId: string): void {
    const { user, session } = this.require(userId, 'system.forget', ['robot', 'queued', 'agent']);
    session.forgotten = true;
    this.end(user, session, 'forgotten');
  }

  queueAdvance(userId: string, steps: number): void {
    if (!Number.isInteger(steps) || steps < 1) throw new Error('queue.advance: steps must be a positive integer');
    const { user, session } = this.require(userId, 'queue.advance', ['queued']);
    this.advance(user, session, steps);
  }

  queueServe(userId: string): void {
    const { user, session } = this.require(userId, 'queue.serve', ['queued']);
    this.serve(user, session);
  }

  queueSetPosition(userId: string, position: number): void {
    if (!Number.isInteger(position) || position < 0) throw new Error('queue.setPosition: position must be an integer >= 0');
    const { user, session } = this.require(userId, 'queue.setPosition', ['queued']);
    if (position === 0) this.serve(user, session);
    else session.queuePosition = position;
  }

  // -------------------------------------------------------------------------------------------
  // Views and lifecycle

  view(userId: string): SessionView | undefined {
    const user = this.users.get(userId);
    if (!user) return undefined;
    const s = user.session;
    const view: SessionView = {
      userId,
      state: s ? s.state : 'idle',
      queuePosition: s?.queuePosition ?? null,
      interIdx: s && s.interIdx > 0 ? String(s.interIdx) : null,
      callId: s?.callId ?? null,
      transcript: s ? this.annotated(user, s.transcript) : [],
      pendingDownlink: user.downlink.length,
      leaveMessages: user.leaveMessages,
      satisfaction: s?.satisfaction ?? null,
      feedback: s?.feedback ?? null,
      endReason: s?.endReason ?? null,
    };
    return structuredClone(view);
  }

  private annotated(user: UserRecord, transcript: readonly ServerTranscriptEntry[]): ServerTranscriptEntry[] {
    const pending = new Set(user.downlink.map((m) => m.messageCode));
    return transcript.map((entry) =>
      entry.direction === 'downlink'
        ? {
            ...entry,
            deliveries: user.deliveries.get(entry.messageCode)?.count ?? 0,
            ...(user.deliveries.has(entry.messageCode) ? { firstDeliveredAt: user.deliveries.get(entry.messageCode)?.firstAt } : {}),
            pending: pending.has(entry.messageCode),
          }
        : entry,
    );
  }

  /** Answers every waiting poll with [] (close and reset). */
  releasePolls(): void {
    for (const user of [...this.waiting]) this.finishPoll(user, []);
  }

  clear(): void {
    this.releasePolls();
    this.users.clear();
    this.queued.clear();
  }
}

function safeCall<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    // A throwing script must not take the server down; the message is simply not sent.
    return undefined;
  }
}
