/**
 * The smallest chat on aicc-chat-machine/react: one `createChatSession` (no tabs), under
 * <StrictMode>. Served by the dev server at /strict.html; test/e2e/strict-mode.test.ts drives it.
 */
import { useChatSession } from 'aicc-chat-machine/react';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { chatSessionOptionsFor, fetchIdentity, type DemoIdentity } from '../../../shared/browser.js';

function Chat({ identity }: { identity: DemoIdentity }) {
  const [options] = useState(() => chatSessionOptionsFor(identity));
  const { chat } = useChatSession({ client: options.client, ...options.input });
  const [text, setText] = useState('');
  if (!chat) return <p>Starting…</p>;
  return (
    <section>
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

const identity = await fetchIdentity();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Chat identity={identity} />
  </StrictMode>,
);
