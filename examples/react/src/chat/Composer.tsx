/**
 * The input row: text (every keystroke is `input.change`: the machine throttles the INPUT
 * typing notice to agents and debounces phrase suggestions), phrase suggestions, send, and a
 * file picker (`file.send` with the File itself: bytes never enter the snapshot).
 */
import { useSelector } from '@xstate/react';
import { useRef, useState, type FormEvent } from 'react';
import { fileTypeOf } from '../../../shared/browser.js';
import type { ChatActorRef } from './useChatSession.js';

const ACCEPT = '.jpg,.jpeg,.png,.bmp,.mp3,.aac,.mp4,.txt,.csv';

export function Composer({ actorRef, onPicture }: { actorRef: ChatActorRef; onPicture: (name: string, file: File) => void }) {
  const [text, setText] = useState('');
  const suggestions = useSelector(actorRef, (s) => s.context.compose.suggestions);
  const typingNotice = useSelector(actorRef, (s) => s.matches({ connected: { chatting: { typing: 'throttled' } } }));
  const fileInput = useRef<HTMLInputElement>(null);

  const change = (value: string) => {
    setText(value);
    actorRef.send({ type: 'input.change', text: value });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() === '') return;
    actorRef.send({ type: 'message.send', text });
    change('');
  };
  const pick = (file: File | undefined) => {
    if (!file) return;
    const fileType = fileTypeOf(file.name);
    if (file.type.startsWith('image/')) onPicture(file.name, file);
    actorRef.send({ type: 'file.send', data: file, fileType, name: file.name });
    if (fileInput.current) fileInput.current.value = '';
  };

  return (
    <div className="composer">
      {suggestions.length > 0 && (
        <ul className="suggestions" aria-label="Suggestions">
          {suggestions.map((s) => (
            <li key={s}>
              <button type="button" onClick={() => change(s)}>
                {s}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="composer-row">
        <button type="button" className="icon" title="Send a file" aria-label="Send a file" onClick={() => fileInput.current?.click()}>
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5" />
          </svg>
        </button>
        <input
          type="file"
          ref={fileInput}
          accept={ACCEPT}
          hidden
          data-testid="file-input"
          onChange={(e) => pick(e.currentTarget.files?.[0])}
        />
        <input
          className="composer-text"
          aria-label="Message"
          placeholder="Type a message…"
          value={text}
          maxLength={1024}
          onChange={(e) => change(e.currentTarget.value)}
        />
        <button type="submit" disabled={text.trim() === ''}>
          Send
        </button>
      </form>
      <div className="composer-hint" aria-live="polite">
        {typingNotice ? 'The agent sees that you are typing' : ' '}
      </div>
    </div>
  );
}
