/**
 * The transcript, rendered as text: every message body goes into a text node (React escapes
 * it). Nothing from a message is ever used as HTML, a URL or an attribute, so an agent's or a
 * customer's `<img src=x onerror=…>` shows up as those characters. The entries come ready from
 * the view module (`chat.transcript`): who, text, file (kind, MIME, download state), status.
 */
import type { ChatApi, ChatEntryView, ChatMessageView } from 'aicc-chat-machine';
import { useCallback, useEffect, useRef, type ReactNode } from 'react';
import { formatBytes, timeOf } from './format.js';
import type { DownloadedFile } from './useChatSession.js';

interface Props {
  chat: ChatApi;
  files: ReadonlyMap<string, DownloadedFile>;
  /** Object URLs of pictures the customer sent, by outgoing key. */
  previews: ReadonlyMap<string, string>;
}

/** Pictures change the height once loaded: keep the newest message in view. */
type OnLoad = { onLoad: () => void };

export function Transcript({ chat, files, previews }: Props) {
  const entries = chat.transcript;
  const end = useRef<HTMLLIElement>(null);
  // Braces matter: scrollIntoView returns a promise in newer browsers, and an effect may only
  // return a cleanup function.
  const scrollToEnd = useCallback(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, []);
  useEffect(scrollToEnd, [scrollToEnd, entries.length, files.size]);
  // A log: screen readers announce what is added (politely), not the whole list again. It
  // scrolls, so it takes the focus for the arrow keys.
  return (
    <div className="transcript-log" role="log" aria-label="Transcript" tabIndex={0}>
      <ol className="transcript">
        {entries.map((entry) => (
          <Entry key={entry.key} entry={entry} chat={chat} files={files} previews={previews} onLoad={scrollToEnd} />
        ))}
        <li ref={end} className="transcript-end" aria-hidden="true" />
      </ol>
    </div>
  );
}

function Entry({ entry, chat, files, previews, onLoad }: { entry: ChatEntryView } & Props & OnLoad) {
  if (entry.kind === 'gap') {
    return (
      <li className="msg msg-system" data-testid="msg-gap">
        {entry.text}
      </li>
    );
  }
  if (entry.kind === 'notice') return <li className="msg msg-system">{entry.text}</li>;
  if (entry.earlier) {
    return (
      <li className="msg msg-history" data-testid="msg-history">
        <span className="msg-from">{entry.sender} (earlier)</span>
        <span className="msg-text">{entry.text}</span>
      </li>
    );
  }
  if (entry.from === 'customer') return <Outgoing entry={entry} chat={chat} preview={previews.get(entry.key)} onLoad={onLoad} />;
  if (entry.from === 'system') {
    return (
      <li className="msg msg-system" data-testid="msg-system" data-key={entry.key}>
        {entry.text}
      </li>
    );
  }
  return <Incoming entry={entry} chat={chat} file={files.get(entry.key)} onLoad={onLoad} />;
}

function Incoming({ entry, chat, file, onLoad }: { entry: ChatMessageView; chat: ChatApi; file: DownloadedFile | undefined } & OnLoad) {
  let body: ReactNode;
  if (entry.body === 'location' && entry.location) {
    body = (
      <span className="msg-text">
        Location: {entry.text} ({entry.location.latitude}, {entry.location.longitude})
      </span>
    );
  } else if (entry.body === 'unknown') body = <span className="msg-text muted">{entry.text}</span>;
  else if (entry.file) {
    const { name, kind, download } = entry.file;
    if (file && kind === 'image') body = <img className="msg-image" src={file.url} alt={`${entry.sender} sent a picture`} data-testid="incoming-image" onLoad={onLoad} />;
    else if (file) body = <a href={file.url} download={name}>Download {name}</a>;
    else if (download === 'failed')
      body = (
        <span className="msg-text">
          Could not load {name}.{' '}
          <button type="button" className="link" onClick={() => chat.download(entry.key)}>
            Try again
          </button>
        </span>
      );
    else body = <span className="msg-text muted">Loading {name}…</span>;
  } else body = <span className="msg-text">{entry.text}</span>;
  return (
    <li className={`msg msg-in msg-${entry.from}`} data-testid={`msg-${entry.from}`} data-key={entry.key}>
      <span className="msg-from">
        {entry.sender} <time>{timeOf(entry.time)}</time>
      </span>
      {body}
    </li>
  );
}

function Outgoing({ entry, chat, preview, onLoad }: { entry: ChatMessageView; chat: ChatApi; preview: string | undefined } & OnLoad) {
  return (
    <li className={`msg msg-out status-${entry.status}`} data-testid="msg-customer" data-key={entry.key}>
      {entry.file ? (
        preview ? (
          <img className="msg-image" src={preview} alt={entry.file.name} onLoad={onLoad} />
        ) : (
          <span className="msg-text">
            File: {entry.file.name} ({formatBytes(entry.file.size ?? 0)})
          </span>
        )
      ) : (
        <span className="msg-text">{entry.text}</span>
      )}
      {entry.file?.upload && <UploadBar name={entry.file.name} percent={entry.file.upload.percent} />}
      <span className="msg-status">
        <time>{timeOf(entry.time)}</time> {entry.statusText}
        {entry.canRetry && (
          <button type="button" className="link" onClick={() => chat.retryMessage(entry.key)}>
            retry
          </button>
        )}
      </span>
    </li>
  );
}

/** How far a file's upload got (the view's `file.upload`, while its status is `uploading`). */
function UploadBar({ name, percent }: { name: string; percent: number }) {
  return (
    <span className="upload">
      <progress max={100} value={percent} aria-label={`Uploading ${name}`} data-file={name} />
      <span className="upload-percent">{percent} %</span>
    </span>
  );
}
