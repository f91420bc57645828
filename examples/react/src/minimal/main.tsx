/**
 * The smallest chat on aicc-chat-machine/react: one `createChatSession` (no tabs), under
 * <StrictMode>, with the queue, files and the survey. Served by the dev server at /strict.html;
 * test/e2e/strict-mode.test.ts drives it. `?twice` renders the chat twice for the same customer:
 * only one of them may run (ChatSessionConflictError for the other).
 */
import { useChatSession } from 'aicc-chat-machine/react';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { chatSessionOptionsFor, fetchIdentity } from '../../../shared/browser.js';

const options = chatSessionOptionsFor(await fetchIdentity());

function Chat({ name }: { name: string }) {
  const { chat, error } = useChatSession({ client: options.client, ...options.input });
  const [text, setText] = useState('');
  if (error) return <p data-testid={`${name}-error`} data-code={error.code}>{error.message}</p>;
  if (!chat) return <p data-testid={`${name}-starting`}>Starting…</p>;
  const { can, survey } = chat;
  return (
    <section data-testid={name} lang={chat.lang}>
      <p data-testid="chat-status" data-phase={chat.phase} aria-live="polite">{chat.endText ?? chat.statusText}</p>
      <p role="status" aria-label="Queue">{chat.queue?.text}</p>
      <ul role="log" aria-label="Transcript">
        {chat.transcript.map((entry) => entry.kind === 'message' ? <li key={entry.key} data-testid={`msg-${entry.from}`}>{entry.file?.name ?? entry.text}</li> : null)}
      </ul>
      <form onSubmit={(event) => { event.preventDefault(); chat.sendMessage(text); setText(''); }}>
        <input aria-label="Message" value={text} onChange={(event) => setText(event.target.value)} />
        <button type="submit" disabled={!can.type}>Send</button>
        <input type="file" aria-label="Send a file" accept={chat.upload.accept} disabled={!can.sendFile} onChange={(event) => event.target.files?.[0] && chat.sendFile(event.target.files[0])} />
      </form>
      {can.requestAgent && <button onClick={() => chat.requestAgent()}>Talk to a human</button>}
      {can.end && <button onClick={() => chat.end()}>End chat</button>}
      {survey?.target === 'agent' && survey.levels.map((level) => <button key={level.key} onClick={() => chat.submitSurvey({ evaluation: level.key })}>{level.label}</button>)}
      {survey?.target === 'robot' && <button onClick={() => chat.submitSurvey({ satisfied: true })}>It helped</button>}
      {survey && <button onClick={() => chat.skip()}>Skip the survey</button>}
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
