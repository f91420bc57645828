/**
 * The catch-up: what a lost poll answer carried, read back from queryHistoryChatMessage. The
 * poll loop runs it after anything that may have swallowed a batch; DISCONNECT runs it last
 * (uplink.ts), and so does a CONNECT whose answer was lost.
 */
import { parseDownlink } from '../client/parse.js';
import type { WireDownlinkMessage } from '../client/protocol.js';
import type { AiccClient, DownlinkMessage, HistoryMessage } from '../client/types.js';

/** History page size and the most pages one catch-up reads. */
export const CATCH_UP_PAGE = 50;
export const CATCH_UP_MAX_PAGES = 4;
/** With no message seen yet, catch up from this long before CONNECT (client/server clock skew). */
export const CATCH_UP_SKEW_MS = 10_000;

export interface CatchUpWindow {
  userId: string;
  channelId: string;
  /** Server timestamp of the newest message already known (0: none). */
  since: number;
  /** Client clock when CONNECT succeeded: the bound when nothing is known yet. */
  connectedAt: number | null;
}

/** Where a catch-up starts: the newest known message, else the CONNECT bound less the skew (0: all). */
export function catchUpFrom({ since, connectedAt }: Pick<CatchUpWindow, 'since' | 'connectedAt'>): number {
  return since > 0 ? since : connectedAt !== null ? Math.max(0, connectedAt - CATCH_UP_SKEW_MS) : 0;
}

/**
 * Agent/robot/system CHAT messages after `since` (or from the CONNECT bound), from
 * queryHistoryChatMessage, in server order and shaped like the downlinks that carried them
 * (same key: the messageCode, so the machine drops what it already has). History records
 * without a messageCode are skipped: nothing could tell them from messages already shown.
 */
export async function recoverFromHistory(client: Pick<AiccClient, 'queryHistoryChatMessage'>, window: CatchUpWindow, signal?: AbortSignal): Promise<DownlinkMessage[]> {
  const { userId, channelId, since } = window;
  const from = catchUpFrom(window);
  const found: HistoryMessage[] = [];
  for (let page = 0; page < CATCH_UP_MAX_PAGES; page++) {
    const batch = await client.queryHistoryChatMessage(
      { userId, channelId, limit: CATCH_UP_PAGE, offset: page * CATCH_UP_PAGE, ...(from > 0 ? { startTime: from } : {}) },
      signal ? { signal } : {},
    );
    found.push(...batch);
    if (batch.length < CATCH_UP_PAGE) break;
  }
  // Strictly after the newest known message (the one at `since` is already there); from the
  // CONNECT bound inclusive when none is known yet.
  const recovered = found
    .filter((m) => m.sourceType !== 'CUSTOMER' && m.controlType === 'CHAT' && m.messageCode && (since > 0 ? m.timestamp > since : m.timestamp >= from))
    .map((m) => historyAsDownlink(m, userId, channelId));
  return inServerOrder(recovered);
}

/** Server order within a batch (stable: equal timestamps keep their order). */
export function inServerOrder(messages: readonly DownlinkMessage[]): DownlinkMessage[] {
  // Most batches are empty or already in order: one copy, no sort (this runs on every poll).
  let ordered = true;
  for (let i = 1; i < messages.length && ordered; i++) ordered = messages[i - 1]!.timestamp <= messages[i]!.timestamp;
  if (ordered) return messages.slice();
  return messages
    .map((message, i) => ({ message, i }))
    .sort((a, b) => a.message.timestamp - b.message.timestamp || a.i - b.i)
    .map(({ message }) => message);
}

/** A history record as the downlink the lost poll would have carried (same key: messageCode). */
export function historyAsDownlink(message: HistoryMessage, userId: string, channelId: string): DownlinkMessage {
  const wire: WireDownlinkMessage = {
    from: channelId,
    to: userId,
    channel: 'WEB',
    controlType: 'CHAT',
    mediaType: message.mediaType as WireDownlinkMessage['mediaType'],
    content: message.content,
    senderNickname: message.senderNickname,
    timestamp: message.timestamp,
    sourceType: message.sourceType as WireDownlinkMessage['sourceType'],
    callId: message.callId,
    messageCode: message.messageCode,
  };
  const downlink = parseDownlink(wire);
  if (downlink.controlType !== 'CHAT') return downlink;
  downlink.recovered = true;
  // History does not say whether the agent uploaded the file (local/ id) or took it from the
  // media library: try the library form first, then the local one.
  if ('file' in downlink.content) {
    const { file } = downlink.content;
    file.fallback = { fileId: `local/${file.fileId}`, multiMedia: false };
  }
  return downlink;
}
