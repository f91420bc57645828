/**
 * The smallest chat on aicc-chat-machine/react: one `createChatSession` (no tabs), under
 * <StrictMode>. Served by the dev server at /strict.html; test/e2e/strict-mode.test.ts drives it.
 * One client for the page, as an app would create it. `?twice` renders the chat twice for the
 * same customer: only one of them may run (ChatSessionConflictError for the other).
 */
import { useChatSession } from 'aicc-chat-machine/react';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { chatSessionOptionsFor, fetchIdentity } from '../../../shared/browser.js';

const identity = await fetchIdentity();
const options = chatSessionOptionsFor(identity);

function Chat({ name }: { name: string }) {
  const { chat, error } = useChatSession({ client: options.client, ...options.input });
  const [text, setText] = useState('');
  if (error) return <p data-testid={`${name}-error`} data-code={error.code}>{error.message}</p>;
  if (!chat) return <p data-testid={`${name}-starting`}>Starting…</p>;
  return (
    <section data-testid={name}>
      <p data-testid="chat-status" data-phase={chat.phase}>{chat.phase}</p>
      <ul>
        {chat.transcript.map((entry) =>
          entry.kind === 'message' ? <li key={entry.key} data-testid={`msg-${entry.from}`}>{entry.text}</li> : null,
        )}
      </ul>
      <form onSubmit={(event) => { event.preventDefault(); chat.sendMessage(text); setText(''); }}>
        <input aria-label="Message" value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit" disabled={!chat.can.type}>Send</button>
      </form>
      {chat.can.requestAgent ? <button onClick={() => chat.requestAgent()}>Talk to a human</button> : null}
    </section>
  );
}

const twice = new URLSearchParams(location.search).has('twice');
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Chat name="chat-1" />
    {twice ? <Chat name="chat-2" /> : null}
  </StrictMode>,
);
