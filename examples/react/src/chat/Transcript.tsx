/**
 * The transcript, rendered as text: every message body goes into a text node (React escapes
 * it). Nothing from a message is ever used as HTML, a URL or an attribute, so an agent's or a
 * customer's `<img src=x onerror=…>` shows up as those characters.
 */
import { useSelector } from '@xstate/react';
import { transcriptEntries, type IncomingEntry, type OutgoingEntry, type TranscriptEntry } from 'aicc-chat-machine';
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { formatBytes, timeOf } from './format.js';
import type { ChatActorRef, DownloadedFile } from './useChatSession.js';

interface Props {
  actorRef: ChatActorRef;
  files: ReadonlyMap<string, DownloadedFile>;
  /** Object URLs of pictures the customer sent, by outgoing key. */
  previews: ReadonlyMap<string, string>;
}

/** Pictures change the height once loaded: keep the newest message in view. */
type OnLoad = { onLoad: () => void };

export function Transcript({ actorRef, files, previews }: Props) {
  const transcript = useSelector(actorRef, (s) => s.context.transcript);
  // The context keeps the transcript in chunks (a new message copies one chunk, not the history).
  const entries = useMemo(() => transcriptEntries(transcript), [transcript]);
  const end = useRef<HTMLLIElement>(null);
  // Braces matter: scrollIntoView returns a promise in newer browsers, and an effect may only
  // return a cleanup function.
  const scrollToEnd = useCallback(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, []);
  useEffect(scrollToEnd, [scrollToEnd, transcript.length, files.size]);
  return (
    <ol className="transcript" aria-label="Transcript" aria-live="polite">
      {entries.map((entry) => (
        <Entry key={entry.key} entry={entry} actorRef={actorRef} files={files} previews={previews} onLoad={scrollToEnd} />
      ))}
      <li ref={end} className="transcript-end" aria-hidden="true" />
    </ol>
  );
}

function Entry({ entry, actorRef, files, previews, onLoad }: { entry: TranscriptEntry } & Props & OnLoad) {
  switch (entry.kind) {
    case 'outgoing':
      return <Outgoing entry={entry} actorRef={actorRef} preview={previews.get(entry.key)} onLoad={onLoad} />;
    case 'history':
      return (
        <li className="msg msg-history" data-testid="msg-history">
          <span className="msg-from">{entry.message.sourceType === 'CUSTOMER' ? 'You (earlier)' : (entry.message.senderNickname ?? 'Earlier')}</span>
          <span className="msg-text">{entry.message.content ?? `[${entry.message.mediaType ?? 'message'}]`}</span>
        </li>
      );
    case 'incoming':
      return <Incoming entry={entry} actorRef={actorRef} file={files.get(entry.key)} onLoad={onLoad} />;
    case 'gap':
      return (
        <li className="msg msg-system" data-testid="msg-gap">
          Some messages could not be loaded.
        </li>
      );
  }
}

function Incoming({ entry, actorRef, file, onLoad }: { entry: IncomingEntry; actorRef: ChatActorRef; file: DownloadedFile | undefined } & OnLoad) {
  const message = entry.message;
  const download = useSelector(actorRef, (s) => s.context.downloads[entry.key]);
  if (message.controlType === 'DISCONNECT') {
    const who = message.sourceType === 'AGENT' ? 'The agent left the chat.' : 'The chat was closed by the service.';
    return <li className="msg msg-system">{who}</li>;
  }
  if (message.controlType !== 'CHAT') {
    return <li className="msg msg-system">{message.content ?? message.rawControlType ?? message.controlType}</li>;
  }
  const source = message.sourceType;
  if (source === 'SYSTEM') {
    return (
      <li className="msg msg-system" data-testid="msg-system">
        {message.content.mediaType === 'TEXT' ? message.content.text : `[${message.content.mediaType}]`}
      </li>
    );
  }
  const from = message.senderNickname ?? (source === 'ROBOT' ? 'Assistant' : source === 'AGENT' ? 'Agent' : source);
  const content = message.content;
  let body: ReactNode;
  switch (content.mediaType) {
    case 'TEXT':
      body = <span className="msg-text">{content.text}</span>;
      break;
    case 'LOCATE':
      body = <span className="msg-text">Location: {content.description} ({content.latitude}, {content.longitude})</span>;
      break;
    case 'UNKNOWN':
      body = <span className="msg-text muted">[a message this page cannot show]</span>;
      break;
    default: {
      const name = `${content.mediaType.toLowerCase()}.${content.file.fileType.toLowerCase()}`;
      if (file && content.mediaType === 'IMAGE') body = <img className="msg-image" src={file.url} alt={`${from} sent a picture`} data-testid="incoming-image" onLoad={onLoad} />;
      else if (file) body = <a href={file.url} download={name}>Download {name}</a>;
      else if (download?.status === 'failed')
        body = (
          <span className="msg-text">
            Could not load {name}.{' '}
            <button type="button" className="link" onClick={() => actorRef.send({ type: 'file.download', key: entry.key })}>
              Try again
            </button>
          </span>
        );
      else body = <span className="msg-text muted">Loading {name}…</span>;
    }
  }
  return (
    <li className={`msg msg-in msg-${source.toLowerCase()}`} data-testid={`msg-${source.toLowerCase()}`}>
      <span className="msg-from">
        {from} <time>{timeOf(message.timestamp)}</time>
      </span>
      {body}
    </li>
  );
}

const STATUS_TEXT: Record<OutgoingEntry['status'], string> = {
  uploading: 'uploading…',
  queued: 'waiting',
  sending: 'sending…',
  sent: 'sent',
  failed: 'not sent',
};

function Outgoing({ entry, actorRef, preview, onLoad }: { entry: OutgoingEntry; actorRef: ChatActorRef; preview: string | undefined } & OnLoad) {
  return (
    <li className={`msg msg-out status-${entry.status}`} data-testid="msg-customer">
      {entry.file ? (
        preview ? (
          <img className="msg-image" src={preview} alt={entry.file.name} onLoad={onLoad} />
        ) : (
          <span className="msg-text">
            File: {entry.file.name} ({formatBytes(entry.file.size)})
          </span>
        )
      ) : (
        <span className="msg-text">{entry.text}</span>
      )}
      <span className="msg-status">
        <time>{timeOf(entry.timestamp)}</time> {entry.read ? 'read' : STATUS_TEXT[entry.status]}
        {entry.status === 'failed' && (
          <button type="button" className="link" onClick={() => actorRef.send({ type: 'message.retry', key: entry.key })}>
            retry
          </button>
        )}
      </span>
    </li>
  );
}
