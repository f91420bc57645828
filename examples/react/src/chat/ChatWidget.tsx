/**
 * The chat widget: renders the session's snapshot and sends it the customer's events. All the
 * flow logic (auth, queue, robot → agent, surveys, leave-message, retries) is in the machine;
 * this component only decides what to show for each state.
 */
import { useSelector } from '@xstate/react';
import { transcriptEntries } from 'aicc-chat-machine';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Composer } from './Composer.js';
import { errorText, END_REASON_TEXT, phaseOf, PHASE_TEXT, queueText } from './format.js';
import { LeaveMessage } from './LeaveMessage.js';
import { AgentSurvey, RobotSurvey } from './Survey.js';
import { Transcript } from './Transcript.js';
import type { ChatActorRef, DownloadedFile } from './useChatSession.js';

interface Props {
  actorRef: ChatActorRef;
  files: ReadonlyMap<string, DownloadedFile>;
  onNewChat: () => void;
}

export function ChatWidget({ actorRef, files, onNewChat }: Props) {
  const phase = useSelector(actorRef, phaseOf);
  const servedBy = useSelector(actorRef, (s) => s.context.servedBy);
  const agent = useSelector(actorRef, (s) => s.context.agentNickname);
  const awaitingAgent = useSelector(actorRef, (s) => s.context.bookkeeping.awaitingAgent);
  const queue = useSelector(actorRef, (s) => s.context.queue);
  const error = useSelector(actorRef, (s) => s.context.error);
  const pollFailures = useSelector(actorRef, (s) => s.context.connection.pollFailures);
  const online = useSelector(actorRef, (s) => s.context.connection.online);
  const unread = useSelector(actorRef, (s) => s.context.bookkeeping.unreadAgentKeys.length);
  const transferring = useSelector(actorRef, (s) => s.matches({ connected: { chatting: { transfer: 'requesting' } } }));
  const output = useSelector(actorRef, (s) => (s.status === 'done' ? s.output : undefined));

  // Read receipts: the UI decides what "read" means — here, the page is visible.
  useEffect(() => {
    if (unread === 0 || phase !== 'chatting') return;
    const markRead = () => {
      if (document.visibilityState === 'visible') actorRef.send({ type: 'messages.markRead' });
    };
    markRead();
    document.addEventListener('visibilitychange', markRead);
    return () => document.removeEventListener('visibilitychange', markRead);
  }, [actorRef, unread, phase]);

  // Pictures the customer sends are shown from the local file (no need to download them back).
  const [previews, setPreviews] = useState<ReadonlyMap<string, string>>(new Map());
  const pending = useRef(new Map<string, string>());
  const transcript = useSelector(actorRef, (s) => s.context.transcript);
  const onPicture = useCallback((name: string, file: File) => pending.current.set(name, URL.createObjectURL(file)), []);
  useEffect(() => {
    for (const entry of transcriptEntries(transcript)) {
      if (entry.kind !== 'outgoing' || !entry.file || previews.has(entry.key)) continue;
      const url = pending.current.get(entry.file.name);
      if (url === undefined) continue;
      pending.current.delete(entry.file.name);
      setPreviews((current) => new Map(current).set(entry.key, url));
    }
  }, [transcript, previews]);
  const previewsRef = useRef(previews);
  previewsRef.current = previews;
  useEffect(() => () => previewsRef.current.forEach((url) => URL.revokeObjectURL(url)), []);

  const canChat = phase === 'queuing' || phase === 'chatting';
  const who = servedBy === 'agent' ? (agent ?? 'Agent') : servedBy === 'robot' ? 'Virtual assistant' : null;

  return (
    <section className="chat" aria-label="Chat">
      <header className="chat-header">
        <div>
          <h1>Customer service</h1>
          <p className="chat-status" data-testid="chat-status" data-phase={phase}>
            {PHASE_TEXT[phase]}
            {phase === 'chatting' && who ? ` with ${who}` : ''}
          </p>
        </div>
        {phase !== 'disconnecting' && phase !== 'disconnected' && !phase.startsWith('survey') && (
          <button type="button" className="secondary" onClick={() => actorRef.send({ type: 'chat.end' })}>
            End chat
          </button>
        )}
      </header>

      {!online && <div className="banner warn">You are offline. Messages will be sent when you are back.</div>}
      {online && pollFailures > 0 && <div className="banner warn">Connection trouble, reconnecting… ({pollFailures})</div>}
      {error && phase !== 'disconnected' && (
        <div className="banner error" role="alert" data-testid="chat-error">
          {errorText(error)}
        </div>
      )}
      {phase === 'queuing' && (
        <div className="banner queue" data-testid="queue">
          {queueText(queue)}
        </div>
      )}
      {phase === 'chatting' && servedBy === 'robot' && !awaitingAgent && (
        <div className="banner">
          Talking to our virtual assistant.{' '}
          <button type="button" className="link" disabled={transferring} onClick={() => actorRef.send({ type: 'agent.request' })}>
            {transferring ? 'Asking for an agent…' : 'Talk to a human'}
          </button>
        </div>
      )}

      <Transcript actorRef={actorRef} files={files} previews={previews} />

      {canChat && <Composer actorRef={actorRef} onPicture={onPicture} />}
      {phase === 'leave-message' && <LeaveMessage actorRef={actorRef} />}
      {phase === 'survey-agent' && <AgentSurvey actorRef={actorRef} />}
      {phase === 'survey-robot' && <RobotSurvey actorRef={actorRef} />}
      {phase === 'disconnected' && output && (
        <div className="panel ended" data-testid="ended" data-end-reason={output.endReason}>
          <h2>{END_REASON_TEXT[output.endReason]}</h2>
          {output.surveySubmitted && <p>Thank you for your feedback!</p>}
          {output.error && output.endReason !== 'customer-ended' && <p className="muted">{errorText(output.error)}</p>}
          <button type="button" onClick={onNewChat}>
            Start a new chat
          </button>
        </div>
      )}
    </section>
  );
}
