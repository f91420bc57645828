/**
 * The two surveys the machine offers after a chat (`chat.survey`): agent (levels, NPS, FCR) and
 * robot (helpful or not; a reason is required for "no").
 */
import type { ChatApi } from 'aicc-chat-machine';
import { useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';

interface RadioOption<T> {
  value: T;
  content: ReactNode;
  title?: string;
}

const ARROW_STEPS: Readonly<Record<string, number>> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/**
 * Buttons as one radio group (the WAI-ARIA radio group pattern): Tab reaches the chosen one (or
 * the first), the arrow keys move and choose, Space or a click chooses.
 */
function RadioButtons<T>({ label, options, value, onChange }: { label: string; options: readonly RadioOption<T>[]; value: T | null; onChange: (value: T) => void }) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const tabStop = Math.max(0, options.findIndex((option) => option.value === value));
  const move = (event: KeyboardEvent, index: number) => {
    const step = ARROW_STEPS[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const next = (index + step + options.length) % options.length;
    onChange((options[next] as RadioOption<T>).value);
    buttons.current[next]?.focus();
  };
  return (
    <div className="levels" role="radiogroup" aria-label={label}>
      {options.map((option, index) => (
        <button
          type="button"
          key={String(option.value)}
          ref={(button) => {
            buttons.current[index] = button;
          }}
          role="radio"
          aria-checked={value === option.value}
          tabIndex={index === tabStop ? 0 : -1}
          className={value === option.value ? 'selected' : ''}
          title={option.title}
          onClick={() => onChange(option.value)}
          onKeyDown={(event) => move(event, index)}
        >
          {option.content}
        </button>
      ))}
    </div>
  );
}

export function AgentSurvey({ chat }: { chat: ChatApi }) {
  const survey = chat.survey;
  const [evaluation, setEvaluation] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [nps, setNps] = useState<number | null>(null);
  const [fcr, setFcr] = useState<boolean | null>(null);
  if (!survey) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (evaluation === null) return;
    chat.submitSurvey({
      evaluation,
      comment,
      ...(nps !== null ? { npsScore: nps } : {}),
      ...(fcr !== null ? { fcr } : {}),
    });
  };
  return (
    <form className="panel survey" onSubmit={submit} aria-label="Rate the agent">
      <h2>How satisfied are you with {chat.agentName ?? 'the agent'}?</h2>
      <RadioButtons
        label="Satisfaction"
        options={survey.levels.map((level) => ({ value: level.key, title: level.label, content: <>{level.key} <small>{level.label}</small></> }))}
        value={evaluation}
        onChange={setEvaluation}
      />
      {survey.askNps && (
        <label>
          How likely are you to recommend us? (0–10)
          <select value={nps ?? ''} onChange={(e) => setNps(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))}>
            <option value="">—</option>
            {Array.from({ length: 11 }, (_, i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </label>
      )}
      {survey.askFcr && (
        <fieldset className="inline">
          <legend>Was your problem solved?</legend>
          <label>
            <input type="radio" name="fcr" checked={fcr === true} onChange={() => setFcr(true)} /> Yes
          </label>
          <label>
            <input type="radio" name="fcr" checked={fcr === false} onChange={() => setFcr(false)} /> No
          </label>
        </fieldset>
      )}
      <label>
        Comment (optional)
        <textarea value={comment} maxLength={survey.commentMaxLength} onChange={(e) => setComment(e.currentTarget.value)} />
      </label>
      <div className="actions">
        <button type="submit" disabled={evaluation === null || survey.submitting}>
          {survey.submitting ? 'Sending…' : 'Send rating'}
        </button>
        <button type="button" className="secondary" onClick={chat.skip}>
          Skip
        </button>
      </div>
    </form>
  );
}

export function RobotSurvey({ chat }: { chat: ChatApi }) {
  const survey = chat.survey;
  const [satisfied, setSatisfied] = useState<boolean | null>(null);
  const [comment, setComment] = useState('');
  if (!survey) return null;
  const required = survey.commentRequiredIfUnsatisfied && satisfied === false;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (satisfied === null) return;
    chat.submitSurvey({ satisfied, ...(comment.trim() ? { comment } : {}) });
  };
  return (
    <form className="panel survey" onSubmit={submit} aria-label="Rate the assistant">
      <h2>Was the assistant helpful?</h2>
      <RadioButtons
        label="Helpful"
        options={[
          { value: true, content: 'Yes, it helped' },
          { value: false, content: 'No' },
        ]}
        value={satisfied}
        onChange={setSatisfied}
      />
      <label>
        {required ? 'What went wrong? (required)' : 'Comment (optional)'}
        <textarea value={comment} maxLength={survey.commentMaxLength} onChange={(e) => setComment(e.currentTarget.value)} />
      </label>
      <div className="actions">
        <button type="submit" disabled={satisfied === null || (required && comment.trim() === '') || survey.submitting}>
          {survey.submitting ? 'Sending…' : 'Send feedback'}
        </button>
        <button type="button" className="secondary" onClick={chat.skip}>
          Skip
        </button>
      </div>
    </form>
  );
}
