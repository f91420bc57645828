/**
 * The demo page: the chat widget on the left; on the right the live statechart (the machine's
 * state tree with the active states highlighted), the last events the machine processed (an
 * offline `inspect` callback: in the tab that runs the session), and a panel to play the agent.
 * Open it in several tabs: they share one session (useChatSession); the inspector says which
 * tab runs it (`leader`) and which mirror it (`follower`).
 */
import { useSelector } from '@xstate/react';
import { chatSessionMachine } from 'aicc-chat-machine';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { fetchIdentity, type DemoIdentity } from '../../shared/browser.js';
import { ChatWidget } from './chat/ChatWidget.js';
import { clearSavedSession, useChatSession } from './chat/useChatSession.js';
import { createEventLog, type EventLog } from './inspect/eventLog.js';
import { StatechartView } from './inspect/StatechartView.js';
import { SimPanel } from './SimPanel.js';

export function App() {
  const [identity, setIdentity] = useState<DemoIdentity | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // A new key remounts the session: a fresh actor, a fresh event log.
  const [chat, setChat] = useState(() => ({ key: 1, log: createEventLog() }));

  useEffect(() => {
    fetchIdentity().then(setIdentity, (error: unknown) => setFailure(String(error)));
  }, []);

  if (failure) return <p className="banner error">Could not reach the demo server: {failure}</p>;
  if (!identity) return <p className="muted">Loading…</p>;
  const newChat = () => {
    clearSavedSession(identity);
    setChat((c) => ({ key: c.key + 1, log: createEventLog() }));
  };
  return (
    <main className="layout">
      <Session key={chat.key} identity={identity} log={chat.log} onNewChat={newChat} />
    </main>
  );
}

function Session({ identity, log, onNewChat }: { identity: DemoIdentity; log: EventLog; onNewChat: () => void }) {
  const { session, role, chat, files, notice } = useChatSession(identity, log.inspect);
  const value = useSelector(session, (s) => s?.value);
  if (!chat || value === undefined) return <p className="muted">Joining the chat…</p>;
  return (
    <>
      <ChatWidget chat={chat} files={files} notice={notice} onNewChat={onNewChat} />
      <aside className="inspector" aria-label="Inspector">
        <div className="inspector-head">
          <h2>Statechart · live</h2>
          <span className="muted">
            user <code>{identity.userId}</code> · scenario <code>{identity.scenario}</code> · this tab{' '}
            <code data-testid="tab-role" data-role={role} data-locks={session?.transport.locks}>
              {role}
            </code>
          </span>
        </div>
        <StatechartView machine={chatSessionMachine} value={value} />
        <EventList log={log} />
        <SimPanel scenario={identity.scenario} scenarios={identity.scenarios} />
      </aside>
    </>
  );
}

function EventList({ log }: { log: EventLog }) {
  const events = useSyncExternalStore(log.subscribe, log.getSnapshot);
  return (
    <section className="events" aria-label="Events">
      <h3>Last events</h3>
      <ol>
        {events
          .slice()
          .reverse()
          .map((e) => (
            <li key={e.seq}>
              <code>{e.type}</code> <span className="muted">{e.detail}</span>
            </li>
          ))}
      </ol>
    </section>
  );
}
