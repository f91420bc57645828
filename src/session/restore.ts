/**
 * What a restored snapshot must (not) do by itself. XState restarts every invoked actor of a
 * restored snapshot with the input it was first invoked with:
 * - a CHAT that was on the wire when the page went away is lost with the old page's sendMessage
 *   worker (the restored worker starts empty), and the outbox would wait for its answer forever;
 *   sending it again blindly would be a duplicate whenever the first attempt had arrived. It
 *   becomes `failed` with `outcomeUnknown: true` (the customer decides, as after a timeout) and
 *   the outbox goes back to `idle`, so the rest of the queue goes on in order;
 * - a chat needs its sendMessage worker: a snapshot saved by a version before the worker (a
 *   promise actor per CHAT, present only while one was on the wire) gets one;
 * - the poll loop would start from its original input, not knowing that the old page may have
 *   abandoned a poll whose batch the server had already handed out. Its input is brought up to
 *   date and marked `resumed`, so it catches up from history before polling;
 * - a file worker the machine had just started (its hello, `*.ready`, not yet handled when the
 *   snapshot was saved) comes back restored, without the bytes or orders it held: its `*.ready`
 *   must read as news of a reload, so the "just started" marks are dropped.
 * (Index pages an earlier version wrote need nothing here: positionOf reads them as they are.)
 * `createChatSession` applies this to every snapshot it is given; hosts that restore with plain
 * `createActor` should too.
 */
import type { Snapshot } from 'xstate';
import { WORKER_STARTING, abandonInterruptedSends, clearWorkerStarting, type FileWorkerId } from '../../machines/chatSession.updates.js';
import { latestIncomingTimestamp } from '../../machines/chatSession.selectors.js';
import type { ChatSessionContext } from '../../machines/chatSession.types.js';

/** What `actor.getPersistedSnapshot()` returns: plain JSON, safe to store. */
export type PersistedChatSession = Snapshot<unknown>;

const FILE_WORKERS = Object.keys(WORKER_STARTING) as FileWorkerId[];

interface PersistedShape {
  value?: unknown;
  context?: ChatSessionContext;
  children?: Record<string, unknown>;
}

function isContext(value: unknown): value is ChatSessionContext {
  const c = value as Partial<ChatSessionContext> | null;
  return !!c && Array.isArray(c.transcript?.chunks) && Array.isArray(c.outbox) && typeof c.transcriptIndex === 'object';
}

/** Replaces `outbox: 'sending'` inside a state value with `outbox: 'idle'`. */
function outboxIdle(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    out[key] = key === 'outbox' && child === 'sending' ? 'idle' : outboxIdle(child);
  }
  return out;
}

/** The state value is inside `connected.chatting`, where the sendMessage worker runs. */
function isChatting(value: unknown): boolean {
  const connected = (value as { connected?: unknown } | null)?.connected;
  return typeof connected === 'object' && connected !== null && 'chatting' in connected;
}

/**
 * A persisted sendMessage worker: it holds nothing, so a fresh one is the same (and replaces an
 * older version's promise actor). A new object per snapshot: XState keeps what it restores.
 */
function sendWorker(): unknown {
  return { snapshot: { status: 'active' }, src: 'sendMessage', syncSnapshot: false };
}

interface PersistedChild {
  snapshot?: { input?: Record<string, unknown> } & Record<string, unknown>;
}

export function prepareRestoredSnapshot(snapshot: PersistedChatSession): PersistedChatSession {
  const s = snapshot as unknown as PersistedShape;
  if (!isContext(s.context)) return snapshot;
  const update = abandonInterruptedSends(s.context);
  let context: ChatSessionContext = { ...s.context, ...update };
  for (const worker of FILE_WORKERS) context = { ...context, ...clearWorkerStarting(context, worker) };
  const children: Record<string, unknown> = { ...(s.children ?? {}) };
  let value = s.value;
  if (Object.keys(update).length > 0) value = outboxIdle(s.value);
  if (isChatting(value)) children['sendMessage'] = sendWorker();
  const poll = children['pollLoop'] as PersistedChild | undefined;
  if (poll?.snapshot?.input) {
    children['pollLoop'] = {
      ...poll,
      snapshot: {
        ...poll.snapshot,
        input: {
          ...poll.snapshot.input,
          since: latestIncomingTimestamp(context),
          servedBy: context.servedBy,
          online: context.connection.online,
          visible: context.connection.pageVisible,
          resumed: true,
        },
      },
    };
  }
  return { ...snapshot, value, context, children } as unknown as PersistedChatSession;
}
