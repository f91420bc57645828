/**
 * An offline inspector: the machine's `inspect` option receives every event the session actor
 * processes; this keeps the last few (type and a short summary, never file bytes) in a tiny
 * external store for useSyncExternalStore. The same callback slot takes
 * `createBrowserInspector().inspect` from @statelyai/inspect when the hosted inspector is
 * reachable (see docs/guides/react.md).
 */
import type { InspectionEvent } from 'xstate';

export interface LoggedEvent {
  seq: number;
  at: number;
  type: string;
  detail: string;
}

export interface EventLog {
  inspect(event: InspectionEvent): void;
  subscribe(listener: () => void): () => void;
  getSnapshot(): readonly LoggedEvent[];
}

function summary(event: { type: string } & Record<string, unknown>): string {
  switch (event.type) {
    case 'message.send':
    case 'input.change':
      return JSON.stringify(String(event['text'] ?? '').slice(0, 40));
    case 'poll.messages':
      return `${Array.isArray(event['messages']) ? event['messages'].length : 0} message(s)`;
    case 'file.send':
      return `${String(event['name'] ?? '')} (${String(event['fileType'] ?? '')})`;
    case 'queue.updated': {
      const info = event['info'] as { status?: string; position?: number } | undefined;
      return info?.status === 'queuing' ? `position ${info.position}` : String(info?.status ?? '');
    }
    default:
      return '';
  }
}

export function createEventLog(limit = 12): EventLog {
  let events: readonly LoggedEvent[] = [];
  let seq = 0;
  const listeners = new Set<() => void>();
  return {
    inspect(event) {
      // Only events the session machine itself receives (not those of its invoked children).
      if (event.type !== '@xstate.event' || event.actorRef.sessionId !== event.rootId) return;
      const received = event.event as { type: string } & Record<string, unknown>;
      if (received.type === 'xstate.init') return;
      events = [...events, { seq: ++seq, at: Date.now(), type: received.type, detail: summary(received) }].slice(-limit);
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => events,
  };
}
