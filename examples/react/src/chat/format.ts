/** Pure helpers that turn the machine's snapshot into words. No React here. */
import type { ChatSessionError, EndReason, IncomingEntry, QueueInfo, TranscriptEntry } from 'aicc-chat-machine';
import type { Phase } from '../../../shared/browser.js';

export { phaseOf, type Phase } from '../../../shared/browser.js';

export const PHASE_TEXT: Record<Phase, string> = {
  auth: 'Signing in…',
  history: 'Loading your earlier messages…',
  connecting: 'Connecting…',
  'connect-retry': 'Connection failed, retrying…',
  'leave-message': 'Leave us a message',
  queuing: 'Waiting for an agent',
  chatting: 'Chatting',
  ending: 'Ending the chat…',
  'survey-agent': 'How did we do?',
  'survey-robot': 'Was the assistant helpful?',
  disconnecting: 'Closing…',
  disconnected: 'Chat ended',
};

export const END_REASON_TEXT: Record<EndReason, string> = {
  'customer-ended': 'You ended the chat.',
  'agent-ended': 'The agent ended the chat.',
  'session-released': 'The chat was closed by the service.',
  'auth-failed': 'We could not sign you in to the chat service.',
  'connect-failed': 'The chat could not be connected.',
  'after-hours': 'We are closed right now.',
  'message-left': 'Your message was left. We will call you back.',
  'network-lost': 'The connection was lost.',
};

export function queueText(queue: QueueInfo | null): string {
  if (queue === null) return 'Finding an agent for you…';
  if (queue.status === 'in-ivr') return 'Waiting for a free agent…';
  const wait = queue.estimateWaitTime > 0 ? ` · about ${queue.estimateWaitTime} s` : '';
  return `You are number ${queue.position} in the queue${wait}`;
}

export function errorText(error: ChatSessionError): string {
  if (error.name === 'ChatInputError') return error.message;
  const detail = error.resultDesc ?? error.exceptionInfo ?? error.message;
  return `${error.api}: ${detail}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function timeOf(ms: number): string {
  return ms > 0 ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

/** Incoming messages that carry a file to download. */
export function isMediaEntry(entry: TranscriptEntry): entry is IncomingEntry {
  return (
    entry.kind === 'incoming' &&
    entry.message.controlType === 'CHAT' &&
    entry.message.content.mediaType !== 'TEXT' &&
    entry.message.content.mediaType !== 'LOCATE' &&
    entry.message.content.mediaType !== 'UNKNOWN'
  );
}
