/** Outside working hours (or when no agent can take the chat) the machine offers this form (`chat.leaveMessage`). */
import type { ChatApi } from 'aicc-chat-machine';
import { useState, type FormEvent } from 'react';

export function LeaveMessage({ chat }: { chat: ChatApi }) {
  const [caller, setCaller] = useState('');
  const [message, setMessage] = useState('');
  if (!chat.leaveMessage) return null;
  const { afterHours, submitting } = chat.leaveMessage;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    chat.submitLeaveMessage(caller, message);
  };
  return (
    <form className="panel leave-message" onSubmit={submit} aria-label="Leave a message">
      <h2>{afterHours ? 'We are closed right now' : 'No agent can take your chat'}</h2>
      <p>Leave a message and a number, and we will call you back.</p>
      <label>
        Phone number
        <input type="tel" autoComplete="tel" value={caller} onChange={(e) => setCaller(e.currentTarget.value)} placeholder="+1 555 0100" />
      </label>
      <label>
        Message
        <textarea value={message} onChange={(e) => setMessage(e.currentTarget.value)} />
      </label>
      <div className="actions">
        <button type="submit" disabled={submitting}>
          {submitting ? 'Sending…' : 'Leave message'}
        </button>
        <button type="button" className="secondary" onClick={chat.skip}>
          No thanks
        </button>
      </div>
    </form>
  );
}
