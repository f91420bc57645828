/**
 * The input row: text (every keystroke is `input.change`: the machine throttles the INPUT
 * typing notice to agents and debounces phrase suggestions), phrase suggestions, send, and a
 * file picker (`file.send` with the File itself: bytes never enter the snapshot; the view
 * module names its type and offers the `accept` list).
 */
import type { ChatApi } from 'aicc-chat-machine';
import { useRef, useState, type FormEvent } from 'react';

export function Composer({ chat, onPicture }: { chat: ChatApi; onPicture: (name: string, file: File) => void }) {
  const [text, setText] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);

  const change = (value: string) => {
    setText(value);
    chat.setDraft(value);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() === '') return;
    chat.sendMessage(text);
    change('');
  };
  const pick = (file: File | undefined) => {
    if (!file) return;
    if (file.type.startsWith('image/')) onPicture(file.name, file);
    chat.sendFile(file);
    if (fileInput.current) fileInput.current.value = '';
  };

  return (
    <div className="composer">
      {chat.suggestions.length > 0 && (
        <ul className="suggestions" aria-label="Suggestions">
          {chat.suggestions.map((s) => (
            <li key={s}>
              <button type="button" onClick={() => change(s)}>
                {s}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="composer-row">
        <button type="button" className="icon" title="Send a file" aria-label="Send a file" disabled={!chat.can.sendFile} onClick={() => fileInput.current?.click()}>
          <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <path d="M21 11.5l-8.5 8.5a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5" />
          </svg>
        </button>
        <input
          type="file"
          ref={fileInput}
          accept={chat.upload.accept}
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
        {chat.typingNotified ? 'The agent sees that you are typing' : ' '}
      </div>
    </div>
  );
}
