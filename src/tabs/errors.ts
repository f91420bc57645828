/** The typed failure of a `send` in a shared tab session. */

/**
 * - `no-leader`: no tab took the event within `forwardTimeoutMs`; it will never be delivered.
 * - `expired`: the leader received it after its deadline and did not deliver it.
 * - `session-over`: the session has ended (or ended before the event reached it).
 * - `standby`: no channel to forward over, and another tab runs the session.
 * - `stopped`: this tab session was stopped before the event was delivered. An event already
 *   on its way to a leader may still take effect there.
 * - `not-cloneable`: the event cannot be posted to another tab (structured clone refused it).
 */
export type TabSessionErrorCode = 'no-leader' | 'expired' | 'session-over' | 'standby' | 'stopped' | 'not-cloneable';

const MESSAGES: Record<TabSessionErrorCode, string> = {
  'no-leader': 'No tab took the event in time; it was not delivered.',
  expired: 'The leading tab received the event after its deadline; it was not delivered.',
  'session-over': 'The chat session has ended; the event was not delivered.',
  standby: 'Another tab runs the chat session and there is no channel to it; the event was not delivered.',
  stopped: 'This tab session was stopped before the event was delivered.',
  'not-cloneable': 'The event cannot be sent to another tab (structured clone refused it).',
};

export class TabSessionError extends Error {
  override readonly name = 'TabSessionError';
  readonly code: TabSessionErrorCode;
  /** The `type` of the event that failed. */
  readonly eventType: string;

  constructor(code: TabSessionErrorCode, eventType: string, detail?: string) {
    super(detail ? `${MESSAGES[code]} (${detail})` : MESSAGES[code]);
    this.code = code;
    this.eventType = eventType;
  }
}

export function isTabSessionError(value: unknown): value is TabSessionError {
  return value instanceof TabSessionError;
}
