/**
 * Lookups on the context that guards, updates, actor inputs and delays share: one definition
 * each, pure, never writing.
 */
import type { FileRef } from '../src/client/types.js';
import { entryAt } from './chatSession.transcript.js';
import type { ChatSessionContext, OutgoingEntry } from './chatSession.types.js';

/** The first message of the outbox: the one on the wire, or the next to go. */
export function outboxHead(context: ChatSessionContext): OutgoingEntry | undefined {
  const head = context.outbox[0];
  const entry = head === undefined ? undefined : entryAt(context, head);
  return entry?.kind === 'outgoing' ? entry : undefined;
}

/** Server timestamp of the newest incoming message (0 when none). */
export function latestIncomingTimestamp(context: ChatSessionContext): number {
  let latest = 0;
  for (const chunk of context.transcript.chunks) {
    for (const entry of chunk) if (entry.kind === 'incoming' && entry.message.timestamp > latest) latest = entry.message.timestamp;
  }
  return latest;
}

/** The file of the incoming CHAT message under `key`; null when there is no such message or it carries none. */
export function incomingFileAt(context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex'>, key: unknown): { key: string; file: FileRef } | null {
  const entry = entryAt(context, key);
  if (entry?.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || !('file' in entry.message.content)) return null;
  return { key: entry.key, file: entry.message.content.file };
}

/** Keys whose download was in flight (to resume after a reload). */
export function pendingDownloads(context: ChatSessionContext): string[] {
  return Object.keys(context.downloads).filter((key) => context.downloads[key]?.status === 'downloading');
}
