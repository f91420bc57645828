/**
 * The two surveys the machine offers after a chat (`chat.survey`): agent (levels, NPS, FCR) and
 * robot (helpful or not; a reason is required for "no").
 */
import type { ChatApi } from 'aicc-chat-machine';
import { useState, type FormEvent } from 'react';

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
      <div className="levels" role="radiogroup" aria-label="Satisfaction">
        {survey.levels.map((level) => (
          <button
            type="button"
            key={level.key}
            role="radio"
            aria-checked={evaluation === level.key}
            className={evaluation === level.key ? 'selected' : ''}
            onClick={() => setEvaluation(level.key)}
            title={level.label}
          >
            {level.key} <small>{level.label}</small>
          </button>
        ))}
      </div>
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
      <div className="levels" role="radiogroup" aria-label="Helpful">
        <button type="button" role="radio" aria-checked={satisfied === true} className={satisfied === true ? 'selected' : ''} onClick={() => setSatisfied(true)}>
          Yes, it helped
        </button>
        <button type="button" role="radio" aria-checked={satisfied === false} className={satisfied === false ? 'selected' : ''} onClick={() => setSatisfied(false)}>
          No
        </button>
      </div>
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
