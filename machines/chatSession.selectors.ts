/**
 * Lookups on the context that guards, updates, actor inputs and delays share: one definition
 * each, pure, never writing.
 */
import type { DownlinkMessage, FileRef } from '../src/client/types.js';
import { entryAt } from './chatSession.transcript.js';
import type { ChatSessionContext, OutgoingEntry, ServedBy } from './chatSession.types.js';

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

/** Local ids of the outgoing files still uploading (the upload worker runs while there is one). */
export function pendingUploads(context: ChatSessionContext): string[] {
  return context.outbox.filter((localId) => {
    const entry = entryAt(context, localId);
    return entry?.kind === 'outgoing' && entry.status === 'uploading';
  });
}

/** Keys whose download was in flight (to resume after a reload; the download worker runs while there is one). */
export function pendingDownloads(context: ChatSessionContext): string[] {
  return Object.keys(context.downloads).filter((key) => context.downloads[key]?.status === 'downloading');
}

/**
 * Who serves the customer after `message`: the one rule of the machine (context.servedBy) and
 * the poll loop (whether to check an agent session's liveness). An agent who wrote keeps the
 * chat: a robot message after it (a notice, a late copy) does not hand it back. A robot serves
 * only a customer nobody serves yet and who is not waiting for an agent after a transfer.
 */
export function servedByAfter(current: ServedBy, message: DownlinkMessage, awaitingAgent: boolean): ServedBy {
  if (message.controlType !== 'CHAT') return current;
  if (message.sourceType === 'AGENT') return 'agent';
  return message.sourceType === 'ROBOT' && current === null && !awaitingAgent ? 'robot' : current;
}
