/**
 * An AiccClient that answers in the process, for benchmark 1's robot conversation: CONNECT and
 * each CHAT are followed by a robot message that the pending poll receives. No HTTP, so a session on it costs what the statechart layer costs alone: XState, the
 * machine's actions and updates, the actors (bench/layers.ts). Only the calls that conversation
 * makes are implemented.
 */
import type { AiccClient, DownlinkMessage, PollInput, ResultInfo, SendInput, SurveyMode } from '../../src/index.js';
import type { BenchLibrary } from './wiring.js';

/**
 * `replyAfterMs`: the robot answers after a timer of that many ms instead of a setImmediate, so
 * the process goes idle between the steps of a round trip, as it does waiting for a server.
 */
export function inProcessClient(library: BenchLibrary, replyAfterMs?: number): AiccClient {
  let seq = 0;
  let queued: DownlinkMessage[] = [];
  let waiting: ((messages: DownlinkMessage[]) => void) | null = null;

  const robotSays = (to: string, content: string): void => {
    seq += 1;
    queued.push(
      library.parseDownlink({
        channel: 'WEB',
        from: 'channel',
        to,
        controlType: 'CHAT',
        mediaType: 'TEXT',
        sourceType: 'ROBOT',
        content,
        senderNickname: 'Robot',
        timestamp: 1_700_000_000_000 + seq,
        messageCode: seq.toString(16).padStart(64, '0'),
        interIdx: String(seq),
      }),
    );
    if (waiting) {
      const deliver = waiting;
      waiting = null;
      deliver(take());
    }
  };
  const later = (reply: () => void): void => {
    if (replyAfterMs === undefined) setImmediate(reply);
    else setTimeout(reply, replyAfterMs);
  };
  const take = (): DownlinkMessage[] => {
    const messages = queued;
    queued = [];
    return messages;
  };

  const implemented = {
    async authenticate(): Promise<void> {},
    async send(input: SendInput): Promise<ResultInfo> {
      if (input.controlType === 'CONNECT') {
        later(() => robotSays(input.from, 'Welcome'));
        return { resultCode: '0', resultDesc: 'connect to robot successfully.' };
      }
      if (input.controlType === 'CHAT') later(() => robotSays(input.from, `re: ${input.content ?? ''}`));
      return { resultCode: '0', resultDesc: 'success' };
    },
    poll(_input: PollInput, options?: { signal?: AbortSignal }): Promise<DownlinkMessage[]> {
      if (queued.length > 0) return Promise.resolve(take());
      return new Promise((resolve, reject) => {
        const signal = options?.signal;
        const onAbort = (): void => {
          waiting = null;
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting = (messages) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(messages);
        };
      });
    },
    async getSatisfactionSurveyMode(): Promise<SurveyMode> {
      return { surveyType: 'WEB', levels: [{ key: '1', label: 'bad' }, { key: '5', label: 'good' }], questions: [] };
    },
    async queryHistoryChatMessage(): Promise<never[]> {
      return [];
    },
  };
  // Only what the conversation calls; anything else is missing and fails loudly when called.
  return implemented as unknown as AiccClient;
}
