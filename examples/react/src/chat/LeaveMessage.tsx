/** Outside working hours (or when no agent can take the chat) the machine offers this form. */
import { useSelector } from '@xstate/react';
import { useState, type FormEvent } from 'react';
import type { ChatActorRef } from './useChatSession.js';

export function LeaveMessage({ actorRef }: { actorRef: ChatActorRef }) {
  const submitting = useSelector(actorRef, (s) => s.matches({ 'leave-message': 'submitting' }));
  // Why we are here is only visible in the error that brought us (CONNECT answered 12 = after
  // hours); a refused submit replaces that error, so remember the reason from the moment we came.
  const [afterHours] = useState(() => {
    const error = actorRef.getSnapshot().context.error;
    return error !== null && error.name !== 'ChatInputError' && error.resultCode === '12';
  });
  const [caller, setCaller] = useState('');
  const [message, setMessage] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    actorRef.send({ type: 'leaveMessage.submit', caller, message });
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
        <button type="button" className="secondary" onClick={() => actorRef.send({ type: 'leaveMessage.skip' })}>
          No thanks
        </button>
      </div>
    </form>
  );
}
