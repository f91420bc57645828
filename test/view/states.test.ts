/**
 * The view's state mapping, checked against the machine definition itself: every state node
 * has a step (a new state fails here until it is mapped), every step a phase, and every
 * `can.*` flag says what the machine would actually take in that state (`snapshot.can(event)`).
 */
import { describe, expect, it } from 'vitest';
import { createMachine, initialTransition, type AnyStateMachine, type AnyStateNode, type StateValue } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionContext, ChatUserEvent } from '../../machines/chatSession.types.js';
import { chatStep, chatView, connectChat, PHASE_OF_STEP, STEP_OF_STATE, type ChatPhase } from '../../src/view/view.js';
import { input } from '../machine/helpers.js';

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allNodes(child as AnyStateNode))];
}

const pathOf = (node: AnyStateNode) => node.path.join('.');

/** Leaf states (no children) with no listed ancestor-or-self: states the view cannot name. */
function unmapped(machine: AnyStateMachine): string[] {
  return allNodes(machine.root)
    .filter((node) => node.path.length > 0 && Object.keys(node.states).length === 0)
    .filter((node) => !node.path.some((_, i) => STEP_OF_STATE[node.path.slice(0, i + 1).join('.')] !== undefined))
    .map(pathOf);
}

/** The state value that has `path` active (other regions and children: initial). */
function valueAt(path: readonly string[]): StateValue {
  return path.reduceRight<StateValue | null>((inner, key) => (inner === null ? key : { [key]: inner }), null) ?? '';
}

const LEAVES = allNodes(chatSessionMachine.root).filter((node) => node.path.length > 0 && Object.keys(node.states).length === 0);
const base: ChatSessionContext = initialTransition(chatSessionMachine, input)[0].context;

describe('every machine state has a step and a phase', () => {
  it('each leaf state is listed or sits inside a listed state', () => {
    expect(unmapped(chatSessionMachine)).toEqual([]);
  });

  it('every listed state exists in the machine (no stale entries)', () => {
    const paths = new Set(allNodes(chatSessionMachine.root).map(pathOf));
    expect(Object.keys(STEP_OF_STATE).filter((path) => !paths.has(path))).toEqual([]);
  });

  it('would notice a new state (the check itself works)', () => {
    const config = chatSessionMachine.config as { states: Record<string, { states?: Record<string, unknown> }> };
    const connected = config.states.connected!;
    const grown = createMachine({
      ...(config as object),
      states: {
        ...config.states,
        'on-hold': {},
        connected: { ...connected, states: { ...connected.states, transferring: {} } },
      },
    } as never);
    expect(unmapped(grown).sort()).toEqual(['connected.transferring', 'on-hold']);
  });

  it.each(LEAVES.map((node) => [pathOf(node), node] as const))('%s → its step and phase', (path) => {
    const expected = STEP_OF_STATE[firstListed(path)];
    expect(expected).toBeDefined();
    const value = chatSessionMachine.resolveState({ value: valueAt(path.split('.')) as never, context: base }).value as StateValue;
    expect(chatStep(value)).toBe(expected);
    for (const servedBy of ['robot', 'agent'] as const) {
      const snapshot = chatSessionMachine.resolveState({ value: value as never, context: { ...base, servedBy } });
      const phase: ChatPhase = expected === 'chatting' ? `chatting-${servedBy}` : PHASE_OF_STEP[expected!];
      expect(chatView(snapshot).phase).toBe(phase);
    }
  });
});

function firstListed(path: string): string {
  const parts = path.split('.');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('.');
    if (STEP_OF_STATE[prefix] !== undefined) return prefix;
  }
  return path;
}

describe('can.* agrees with what the machine takes, in every state', () => {
  // A robot chat with an unread agent message and a level the survey offers: every guard that
  // reads the context can pass, so `snapshot.can` answers for the state alone.
  const context: ChatSessionContext = {
    ...base,
    servedBy: 'robot',
    bookkeeping: { ...base.bookkeeping, unreadAgentKeys: ['a1'] },
  };
  const probes: Record<'type' | 'sendFile' | 'retry' | 'submitSurvey' | 'leaveMessage' | 'download' | 'markRead', ChatUserEvent> = {
    type: { type: 'message.send', text: 'hi' },
    sendFile: { type: 'file.send', data: new Uint8Array([1]), fileType: 'png' },
    retry: { type: 'request.retry' },
    submitSurvey: { type: 'survey.submit', satisfied: true },
    leaveMessage: { type: 'leaveMessage.submit', caller: '+1 555 0100', message: 'call me' },
    download: { type: 'file.download', key: 'x' },
    markRead: { type: 'messages.markRead' },
  };

  it.each(LEAVES.map((node) => [pathOf(node)] as const))('%s', (path) => {
    const snapshot = chatSessionMachine.resolveState({ value: valueAt(path.split('.')) as never, context });
    const sent: ChatUserEvent[] = [];
    const chat = connectChat(snapshot, (event) => sent.push(event));
    for (const [ability, event] of Object.entries(probes) as [keyof typeof probes, ChatUserEvent][]) {
      expect(chat.can[ability], `can.${ability} vs ${event.type}`).toBe(snapshot.can(event));
    }
    // `end` ends a conversation that is still going; afterwards chat.end means "skip", see skip().
    if (chat.can.end) expect(snapshot.can({ type: 'chat.end' })).toBe(true);
    expect(chat.can.end).toBe(['starting', 'queuing', 'chatting-robot'].includes(chat.phase));
    chat.skip();
    expect(chat.can.skip, `can.skip vs ${sent[0]?.type}`).toBe(snapshot.can(sent[0]!));
    if (chat.can.requestAgent) expect(snapshot.can({ type: 'agent.request' })).toBe(true);
    expect(chat.can.requestAgent).toBe(path === 'connected.chatting.transfer.idle' || (chat.step === 'chatting' && !path.includes('transfer')));
  });

  it('nothing is possible once the session has stopped', () => {
    const snapshot = { ...chatSessionMachine.resolveState({ value: { connected: { chatting: {} } } as never, context }), status: 'stopped' as const };
    const view = chatView(snapshot);
    expect(view.phase).toBe('ended');
    expect(Object.values(view.can).some(Boolean)).toBe(false);
    expect(view.statusText).toBe('Chat ended');
  });
});
