/**
 * Demo only: play the other side. Buttons call the demo server's /demo/sim/* routes, which
 * script the simulator (agent says / sends a picture / ends, serve the queue, switch scenario).
 */
import { useState } from 'react';
import { simControl } from '../../shared/browser.js';

export function SimPanel({ scenario, scenarios }: { scenario: string; scenarios: readonly string[] }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const [current, setCurrent] = useState(scenario);
  const run = async (action: string, body: Record<string, unknown> = {}) => {
    const answer = await simControl(action, body);
    setResult(answer.ok ? `${action}: ok` : `${action}: ${answer.error}`);
    return answer.ok;
  };
  return (
    <section className="sim-panel" aria-label="Simulator">
      <h2>Play the agent (simulator)</h2>
      <div className="sim-row">
        <input value={text} onChange={(e) => setText(e.currentTarget.value)} placeholder="The agent says…" aria-label="Agent text" />
        <button type="button" onClick={() => void run('agent-say', { text })}>
          Agent: say
        </button>
      </div>
      <div className="sim-row">
        <button type="button" onClick={() => void run('queue-serve')}>
          Queue: serve now
        </button>
        <button type="button" onClick={() => void run('agent-image')}>
          Agent: send a picture
        </button>
        <button type="button" onClick={() => void run('agent-read')}>
          Agent: mark read
        </button>
        <button type="button" onClick={() => void run('agent-end')}>
          Agent: end the chat
        </button>
      </div>
      <div className="sim-row">
        <label>
          Scenario for the next chat{' '}
          <select
            value={current}
            onChange={(e) => {
              const name = e.currentTarget.value;
              void run('scenario', { name }).then((ok) => ok && setCurrent(name));
            }}
          >
            {scenarios.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {result && <p className="muted sim-result">{result}</p>}
    </section>
  );
}
