/**
 * The chat widget: renders the view of the session (`connectChat`: phase, texts, abilities,
 * transcript entries) and calls its commands. All the flow logic (auth, queue, robot → agent,
 * surveys, leave-message, retries) is in the machine; what to show for each state is in the
 * view module; this component only lays it out.
 */
import type { ChatApi } from 'aicc-chat-machine';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Composer } from './Composer.js';
import { LeaveMessage } from './LeaveMessage.js';
import { AgentSurvey, RobotSurvey } from './Survey.js';
import { Transcript } from './Transcript.js';
import type { DownloadedFile } from './useChatSession.js';

interface Props {
  chat: ChatApi;
  files: ReadonlyMap<string, DownloadedFile>;
  /** Why the last thing done in this tab did not reach the session (another tab runs it), if so. */
  notice?: string | null;
  onNewChat: () => void;
}

export function ChatWidget({ chat, files, notice = null, onNewChat }: Props) {
  const { phase, can, connection } = chat;

  // Read receipts: the UI decides what "read" means — here, the page is visible.
  const { markRead } = chat;
  useEffect(() => {
    if (!can.markRead) return;
    const markIfVisible = () => {
      if (document.visibilityState === 'visible') markRead();
    };
    markIfVisible();
    document.addEventListener('visibilitychange', markIfVisible);
    return () => document.removeEventListener('visibilitychange', markIfVisible);
    // Once per new unread count, not per snapshot (`markRead` only sends; any snapshot's will do).
  }, [can.markRead, chat.unread]);

  // Pictures the customer sends are shown from the local file (no need to download them back).
  const [previews, setPreviews] = useState<ReadonlyMap<string, string>>(new Map());
  const pending = useRef(new Map<string, string>());
  const onPicture = useCallback((name: string, file: File) => pending.current.set(name, URL.createObjectURL(file)), []);
  useEffect(() => {
    for (const entry of chat.transcript) {
      if (entry.kind !== 'message' || entry.from !== 'customer' || !entry.file || previews.has(entry.key)) continue;
      const url = pending.current.get(entry.file.name);
      if (url === undefined) continue;
      pending.current.delete(entry.file.name);
      setPreviews((current) => new Map(current).set(entry.key, url));
    }
  }, [chat.transcript, previews]);
  const previewsRef = useRef(previews);
  previewsRef.current = previews;
  useEffect(() => () => previewsRef.current.forEach((url) => URL.revokeObjectURL(url)), []);

  return (
    <section className="chat" aria-label="Chat" lang={chat.lang}>
      <header className="chat-header">
        <div>
          <h1>Customer service</h1>
          <p className="chat-status" data-testid="chat-status" data-phase={phase} aria-live="polite">
            {chat.statusText}
          </p>
        </div>
        {can.end && (
          <button type="button" className="secondary" onClick={chat.end}>
            End chat
          </button>
        )}
      </header>

      {connection.text && (
        <div className="banner warn" role="status">
          {connection.text}
          {connection.online && connection.pollFailures > 0 ? ` (${connection.pollFailures})` : ''}
        </div>
      )}
      {chat.errorText && phase !== 'ended' && (
        <div className="banner error" role="alert" data-testid="chat-error">
          {chat.errorText}
        </div>
      )}
      {notice && phase !== 'ended' && (
        <div className="banner error" role="alert" data-testid="tab-error">
          {notice}
        </div>
      )}
      {can.retry && (
        <div className="banner">
          {chat.statusText}{' '}
          <button type="button" className="link" onClick={chat.retry}>
            Try again
          </button>
          {chat.step === 'survey-unavailable' && (
            <>
              {' '}
              <button type="button" className="link" onClick={chat.skip}>
                Skip the survey
              </button>
            </>
          )}
        </div>
      )}
      {/* Always there, so the first position is announced too (a live region added with its text often is not). */}
      <div role="status" aria-label="Queue">
        {chat.queue && (
          <div className="banner queue" data-testid="queue">
            {chat.queue.text}
          </div>
        )}
      </div>
      {phase === 'chatting-robot' && (
        <div className="banner">
          Talking to our virtual assistant.{' '}
          <button type="button" className="link" disabled={!can.requestAgent} onClick={chat.requestAgent}>
            {chat.transfer === 'requesting' ? 'Asking for an agent…' : 'Talk to a human'}
          </button>
        </div>
      )}

      <Transcript chat={chat} files={files} previews={previews} />

      {can.type && <Composer chat={chat} onPicture={onPicture} />}
      {chat.leaveMessage && <LeaveMessage chat={chat} />}
      {chat.survey?.target === 'agent' && <AgentSurvey chat={chat} />}
      {chat.survey?.target === 'robot' && <RobotSurvey chat={chat} />}
      {phase === 'ended' && (
        <div className="panel ended" data-testid="ended" data-end-reason={chat.endReason ?? undefined}>
          <h2>{chat.endText ?? chat.statusText}</h2>
          {chat.surveySubmitted && <p>Thank you for your feedback!</p>}
          {chat.errorText && chat.endReason !== 'customer-ended' && <p className="muted">{chat.errorText}</p>}
          <button type="button" onClick={onNewChat}>
            Start a new chat
          </button>
        </div>
      )}
    </section>
  );
}
