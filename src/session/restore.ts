/**
 * What a restored snapshot must not do by itself. XState restarts every invoked actor of a
 * restored snapshot, so a CHAT that was on the wire when the page went away would be sent again
 * blindly — a duplicate whenever the first attempt had arrived. `settleInterruptedSends` turns
 * such a message into `failed` with `outcomeUnknown: true` (the customer decides, as after a
 * timeout) and puts the outbox back to `idle`, so the rest of the queue goes on in order.
 */
import { abandonInterruptedSends } from '../../machines/chatSession.actions.js';
import type { ChatSessionContext } from '../../machines/chatSession.types.js';
import type { PersistedChatSession } from './createChatSession.js';

interface PersistedShape {
  value?: unknown;
  context?: ChatSessionContext;
  children?: Record<string, unknown>;
}

function isContext(value: unknown): value is ChatSessionContext {
  const c = value as Partial<ChatSessionContext> | null;
  return !!c && Array.isArray(c.transcript) && Array.isArray(c.outbox) && typeof c.transcriptIndex === 'object';
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

export function settleInterruptedSends(snapshot: PersistedChatSession): PersistedChatSession {
  const s = snapshot as unknown as PersistedShape;
  if (!isContext(s.context)) return snapshot;
  const update = abandonInterruptedSends(s.context);
  if (Object.keys(update).length === 0) return snapshot;
  const children = { ...(s.children ?? {}) };
  delete children['sendMessage'];
  return { ...snapshot, value: outboxIdle(s.value), context: { ...s.context, ...update }, children } as unknown as PersistedChatSession;
}
