/**
 * The invariants every chaos session must keep, checked against both sides: the machine's final
 * snapshot and the simulator's own record of the session (what it emitted, delivered, accepted).
 *
 * Agent/robot/system messages: every CHAT the server emitted is in the transcript exactly once
 * and in the server's order — unless it was still waiting in the server's queue when the
 * customer had already left (then it was never handed out). Anything handed out and missing is
 * LOST.
 *
 * Customer messages: every text the customer sent is in the transcript; each ends `sent` or
 * `failed` (nothing left queued); `sent` means the server accepted it; `failed` without
 * `outcomeUnknown` means the server did NOT accept it; the server accepted each wire timestamp
 * at most once unless the customer explicitly retried it after an unknown outcome (DUPLICATED
 * otherwise); the server accepted nothing the transcript does not show.
 */
import { END_REASONS, type OutgoingEntry } from '../../src/index.js';
import type { ProtocolViolation, SessionView } from '../../src/simulator/index.js';
import { AGENT_END_PATIENCE_MS, wireStamp, type CustomerLog, type Snapshot } from './customer.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

export type ProblemCode =
  | 'not-final'
  | 'untyped-end'
  | 'duplicate-key'
  | 'lost-message'
  | 'out-of-order'
  | 'phantom-message'
  | 'customer-text-missing'
  | 'unsettled-outgoing'
  | 'sent-not-accepted'
  | 'failed-but-accepted'
  | 'duplicated-send'
  | 'unseen-accepted-send'
  | 'send-order'
  | 'server-end-missed'
  | 'bad-input-effect'
  | 'protocol-violation';

export interface Problem {
  code: ProblemCode;
  detail: string;
}

export interface SessionCheck {
  userId: string;
  problems: Problem[];
  endReason: string | null;
  counts: {
    incomingExpected: number;
    incomingReceived: number;
    lost: number;
    leftUnread: number;
    redeliveriesAbsorbed: number;
    customerSent: number;
    customerFailed: number;
    failedUnknown: number;
    duplicated: number;
    acceptedTwiceAfterExplicitRetry: number;
    /** Incoming messages no poll answer ever carried to the client: recovered from history. */
    recoveredFromHistory: number;
    /** Missing incoming messages covered by a gap entry (history unreadable until the end): shown, not lost. */
    shownAsGap: number;
    /** Gap entries in the transcript. */
    gaps: number;
    /** Automatic resends of refused sends. */
    autoResends: number;
    /** Server DISCONNECTs lost in transit and reported by the poll loop's liveness check. */
    lostDisconnectsDetected: number;
    /** Of those, reported although the real one was not lost (only late): the end reason then says session-released. */
    lostDisconnectsPremature: number;
    /**
     * Server ends of a session the client never learnt it had: CONNECT's answers and every
     * search for its session went unanswered, and it ended connect-failed saying so.
     */
    endsOfUnconfirmedSessions: number;
  };
}

function outgoingOf(s: Snapshot): OutgoingEntry[] {
  return transcriptEntries(s.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

/** Rules a correct client may still trip under injected faults, with the reason. */
export const TOLERATED_VIOLATIONS: Readonly<Partial<Record<ProtocolViolation['rule'], string>>> = {
  // A CONNECT answered by a reset after processing, or re-sent after a reload, reaches a server
  // that already has the session: the client cannot know (the answer is "0" either way).
  'duplicate-connect': 'CONNECT whose first answer was lost (reset/5xx after processing, slow answer, reload)',
  // An abandoned poll (timeout, page hidden/visible restart) may still be waiting server-side when
  // the next one arrives; the server answers the older one with [] (documented).
  'concurrent-poll': 'a poll the client gave up on (timeout) still waiting at the server',
  // A superseded token used after the grace period: only when the rotating answer was lost.
  'stale-token': 'the answer that rotated the token was lost in transit',
};

/**
 * How long noticing a lost DISCONNECT may take under load: catch-up + liveness check + one
 * long-poll window, with backoffs when those fail too. It equals the customer's patience
 * (AGENT_END_PATIENCE_MS), so a session is flagged when the customer gave up first.
 */
export const SERVER_END_DETECTION_MS = AGENT_END_PATIENCE_MS;

export function checkSession(log: CustomerLog, view: SessionView | undefined, violations: ProtocolViolation[]): SessionCheck {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, detail: string) => problems.push({ code, detail });
  const s = log.final;
  const counts: SessionCheck['counts'] = {
    incomingExpected: 0,
    incomingReceived: 0,
    lost: 0,
    leftUnread: 0,
    redeliveriesAbsorbed: 0,
    customerSent: 0,
    customerFailed: 0,
    failedUnknown: 0,
    duplicated: 0,
    acceptedTwiceAfterExplicitRetry: 0,
    recoveredFromHistory: 0,
    shownAsGap: 0,
    gaps: 0,
    autoResends: 0,
    lostDisconnectsDetected: 0,
    lostDisconnectsPremature: 0,
    endsOfUnconfirmedSessions: 0,
  };
  if (!s) {
    add('not-final', 'no snapshot');
    return { userId: log.userId, problems, endReason: null, counts };
  }
  const endReason = s.status === 'done' ? s.context.endReason : null;

  // --- the end
  if (s.status !== 'done') add('not-final', `status ${s.status}, state ${JSON.stringify(s.value)}; ${log.notes.join('; ')}`);
  else if (!(END_REASONS as readonly string[]).includes(String(s.context.endReason))) add('untyped-end', String(s.context.endReason));

  // --- keys unique
  const seen = new Set<string>();
  for (const entry of transcriptEntries(s.context.transcript)) {
    if (seen.has(entry.key)) {
      add('duplicate-key', entry.key);
      counts.duplicated += 1;
    }
    seen.add(entry.key);
  }

  // --- incoming CHAT: exactly once, in order, none lost
  const serverDown = (view?.transcript ?? []).filter((e) => e.direction === 'downlink' && e.controlType === 'CHAT');
  const clientIncoming = transcriptEntries(s.context.transcript).flatMap((e) =>
    e.kind === 'incoming' && e.message.controlType === 'CHAT' ? [e.key] : [],
  );
  const clientSet = new Set(clientIncoming);
  // A gap entry says "messages after `from` may be missing": what it covers is shown, not lost.
  const gapFrom = Math.min(...transcriptEntries(s.context.transcript).flatMap((e) => (e.kind === 'gap' ? [e.from] : [])));
  counts.gaps = transcriptEntries(s.context.transcript).filter((e) => e.kind === 'gap').length;
  // Messages still queued at the server were never handed out when the client had gone: the
  // customer ended, the network was declared lost, or CONNECT never got an answer.
  const customerLeft = endReason === 'customer-ended' || endReason === 'network-lost' || endReason === 'connect-failed';
  for (const e of serverDown) {
    counts.redeliveriesAbsorbed += Math.max(0, (e.deliveries ?? 0) - 1);
    if (clientSet.has(e.messageCode)) continue;
    if (e.pending && customerLeft) {
      counts.leftUnread += 1;
      continue;
    }
    if (e.timestamp >= gapFrom) {
      counts.shownAsGap += 1;
      continue;
    }
    counts.lost += 1;
    add('lost-message', `${e.sourceType} "${e.content}" (${e.messageCode.slice(0, 8)}, deliveries ${e.deliveries}, pending ${e.pending})`);
  }
  counts.incomingExpected = serverDown.length - counts.leftUnread;
  counts.recoveredFromHistory = serverDown.filter((e) => clientSet.has(e.messageCode) && (e.deliveries ?? 0) === 0).length;
  counts.lostDisconnectsDetected = transcriptEntries(s.context.transcript).filter((e) => e.key.startsWith('lost-disconnect:')).length;
  if (counts.lostDisconnectsDetected > 0) {
    const real = (view?.transcript ?? []).find((e) => e.direction === 'downlink' && e.controlType === 'DISCONNECT');
    if (real && ((real.deliveries ?? 0) > 0 || real.pending)) counts.lostDisconnectsPremature += 1;
  }
  const serverOrder = serverDown.map((e) => e.messageCode).filter((code) => clientSet.has(code));
  const serverSet = new Set(serverDown.map((e) => e.messageCode));
  const clientOrder = clientIncoming.filter((code) => serverSet.has(code));
  counts.incomingReceived = clientOrder.length;
  if (JSON.stringify(serverOrder) !== JSON.stringify(clientOrder)) {
    const at = serverOrder.findIndex((code, i) => clientOrder[i] !== code);
    add('out-of-order', `first difference at ${at}: server ${serverOrder[at]?.slice(0, 8)} client ${clientOrder[at]?.slice(0, 8)}`);
  }
  for (const key of clientIncoming) if (!serverSet.has(key)) add('phantom-message', key);

  // --- customer messages
  const outgoing = outgoingOf(s);
  const texts = outgoing.flatMap((e) => (e.mediaType === 'TEXT' && e.text !== null ? [e.text] : []));
  for (const text of log.texts) {
    const have = texts.filter((t) => t === text).length;
    const want = log.texts.filter((t) => t === text).length;
    if (have < want) add('customer-text-missing', text);
  }
  const accepted = new Map<string, number>();
  for (const e of view?.transcript ?? []) {
    if (e.direction !== 'uplink' || e.wireTimestamp === undefined) continue;
    accepted.set(e.wireTimestamp, (accepted.get(e.wireTimestamp) ?? 0) + 1);
  }
  const explicit = new Set(log.unknownRetries);
  for (const entry of outgoing) {
    counts.autoResends += entry.resends ?? 0;
    const times = accepted.get(wireStamp(entry)) ?? 0;
    const error = entry.error as { outcomeUnknown?: boolean } | null;
    if (entry.status === 'sent') counts.customerSent += 1;
    else if (entry.status === 'failed') {
      counts.customerFailed += 1;
      if (error?.outcomeUnknown) counts.failedUnknown += 1;
    } else add('unsettled-outgoing', `${entry.localId} still ${entry.status} at the end`);
    if (entry.status === 'sent' && times === 0) add('sent-not-accepted', `${entry.localId} shown sent, the server never accepted it`);
    if (entry.status === 'failed' && !error?.outcomeUnknown && times > 0) {
      add('failed-but-accepted', `${entry.localId} shown failed (${JSON.stringify(error)}) but the server accepted it ${times}×`);
    }
    if (times > 1) {
      if (explicit.has(wireStamp(entry))) counts.acceptedTwiceAfterExplicitRetry += 1;
      else {
        counts.duplicated += 1;
        add('duplicated-send', `${entry.localId} accepted ${times}× without an explicit retry after an unknown outcome`);
      }
    }
  }
  const known = new Set(outgoing.map(wireStamp));
  for (const stamp of accepted.keys()) if (!known.has(stamp)) add('unseen-accepted-send', `the server accepted ${stamp}, the transcript has no such message`);
  // Messages shown `sent` reached the server in the order they were typed. Excepted: those
  // whose first attempt failed and the customer retried (surfaced, not repeated automatically: an
  // unknown-outcome request may reach the server after later ones, a retried one goes last).
  const firsts: string[] = [];
  for (const e of view?.transcript ?? []) {
    if (e.direction === 'uplink' && e.wireTimestamp !== undefined && !firsts.includes(e.wireTimestamp)) firsts.push(e.wireTimestamp);
  }
  // Messages the customer retried by hand (after an unknown outcome, or after a certain failure)
  // go to the end of the queue on purpose.
  const retried = new Set([...log.unknownRetries, ...log.knownRetried]);
  const orderly = new Set(outgoing.filter((e) => e.status === 'sent' && !retried.has(wireStamp(e))).map(wireStamp));
  const ordered = firsts.filter((t) => orderly.has(t)).map(Number);
  if (ordered.some((t, i) => i > 0 && t < (ordered[i - 1] ?? 0))) add('send-order', `accepted in order ${ordered.join(',')}`);

  // --- a server-side end (DISCONNECT downlink) is noticed once handed out
  for (const e of view?.transcript ?? []) {
    if (e.direction !== 'downlink' || e.controlType !== 'DISCONNECT') continue;
    if (e.pending && customerLeft) continue;
    // Emitted after the customer asked to end: the conversation was already over for them.
    if (log.endRequestedAt !== null && e.timestamp >= log.endRequestedAt) continue;
    // The poll loop reports a DISCONNECT lost in transit as its own SYSTEM DISCONNECT
    // (`lost-disconnect:` key) once queryQueueInfo says the agent session is gone.
    const got = transcriptEntries(s.context.transcript).some((t) => t.key === e.messageCode || t.key.startsWith('lost-disconnect:'));
    // A DISCONNECT lost in transit is detected after the catch-up, at the next poll (at most a
    // long-poll window later); a customer who ended before that simply ended first.
    if (!got && log.endRequestedAt !== null && log.endRequestedAt - e.timestamp < SERVER_END_DETECTION_MS * log.patience) continue;
    // Handed out only after the customer had asked to end: the customer ended first.
    if (!got && log.endRequestedAt !== null && e.firstDeliveredAt !== undefined && e.firstDeliveredAt >= log.endRequestedAt) continue;
    // The session ended for a server reason anyway (e.g. the queue watcher saw it gone).
    if (!got && (endReason === 'agent-ended' || endReason === 'session-released')) continue;
    // The client had given up on the network (nothing answered for pollGiveUpMs) and the
    // DISCONNECT went to a poll whose answer it never read: both sides ended, and the end
    // reason says what the client saw.
    if (!got && endReason === 'network-lost' && (e.deliveries ?? 0) > 0) continue;
    // The client never learnt the session existed (no answer to CONNECT or to the search for its
    // session) and ended connect-failed with an unknown outcome: this end is of a session it
    // told the customer it could not confirm. Counted, not a miss.
    if (!got && endReason === 'connect-failed' && (s.context.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown === true) {
      counts.endsOfUnconfirmedSessions += 1;
      continue;
    }
    if (!got) add('server-end-missed', `${e.sourceType} DISCONNECT (${e.messageCode.slice(0, 8)}, deliveries ${e.deliveries}, pending ${e.pending}); session ended ${endReason}`);
    else if (s.status === 'done' && endReason !== 'agent-ended' && endReason !== 'session-released' && endReason !== 'customer-ended' && endReason !== 'message-left') {
      add('server-end-missed', `saw the ${e.sourceType} DISCONNECT but ended ${endReason}`);
    }
  }

  for (const effect of log.badInputEffects) add('bad-input-effect', effect);
  const hadUnknownSend = outgoing.some((e) => (e.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown === true) || log.unknownRetries.length > 0;
  for (const v of violations) {
    if (v.rule in TOLERATED_VIOLATIONS) continue;
    // A CHAT the client gave up on (timeout: outcome unknown) may reach the server after the
    // session's DISCONNECT; the client shows it as failed with an unknown outcome.
    if (v.rule === 'chat-without-session' && hadUnknownSend) continue;
    add('protocol-violation', `${v.rule}: ${v.message}`);
  }
  return { userId: log.userId, problems, endReason, counts };
}
