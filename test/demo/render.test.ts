/** The demo's pure pieces: formatting, the state-line printer, the snapshot diffing, commands. */
import { describe, expect, it } from 'vitest';
import { parseCommand, fileTypeOf } from '../../src/demo/commands.js';
import {
  Printer,
  TranscriptRenderer,
  formatBytes,
  formatError,
  formatQueue,
  painter,
  shouldUseColor,
  demoStep,
  stateLabel,
  type RenderableSnapshot,
} from '../../src/demo/render.js';
import { samplePhoto, sampleAgentImage } from '../../src/demo/samples.js';
import { demoAgentReply } from '../../src/demo/simulated.js';
import { createInitialContext } from '../../machines/chatSession.context.js';
import type { ChatSessionContext, TranscriptEntry } from '../../src/index.js';
import { transcriptOf } from '../../machines/chatSession.transcript.js';

describe('formatting', () => {
  it('bytes', () => {
    expect(formatBytes(980)).toBe('980 B');
    expect(formatBytes(1229)).toBe('1.2 KB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB');
  });

  it('state names (the view module step) and labels: connected is looked through, chatting says who serves', () => {
    expect(demoStep('auth')).toBe('auth');
    expect(demoStep('auth-retry')).toBe('auth-retry');
    expect(demoStep({ connected: 'queuing' })).toBe('queuing');
    expect(demoStep({ connected: { chatting: { outbox: 'idle', transfer: 'idle' } } })).toBe('chatting');
    expect(demoStep({ connected: { 'survey-agent': 'form' } })).toBe('survey-agent');
    expect(demoStep({ 'leave-message': 'form' })).toBe('leave-message');
    // ending is one step for a person, except where the UI has to act: survey-unavailable.
    expect(demoStep({ connected: { ending: 'fetching-survey' } })).toBe('ending');
    expect(demoStep({ connected: { ending: 'survey-mode-retry' } })).toBe('ending');
    expect(demoStep({ connected: { ending: 'survey-unavailable' } })).toBe('survey-unavailable');
    expect(stateLabel('chatting', { servedBy: 'robot', agentName: null })).toBe('chatting (robot)');
    expect(stateLabel('chatting', { servedBy: 'agent', agentName: 'Alice' })).toBe('chatting (agent Alice)');
    expect(stateLabel('chatting', { servedBy: 'agent', agentName: null })).toBe('chatting (agent)');
    expect(stateLabel('queuing', { servedBy: 'robot', agentName: null })).toBe('queuing');
  });

  it('queue and errors', () => {
    const metrics = { position: 2, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 60, longestWaitTime: 0, estimateWaitTime: 60 };
    expect(formatQueue({ status: 'queuing', ...metrics })).toBe('position 2, est. wait 60 s');
    expect(formatQueue({ status: 'in-ivr' })).toMatch(/IVR/);
    expect(formatError({ name: 'AiccError', kind: 'business', api: 'send', message: 'x', resultCode: '13', resultDesc: 'no agents' })).toBe('send 13 (business): no agents');
    expect(formatError({ name: 'AiccError', kind: 'http', api: 'poll', message: 'boom', status: 503 })).toBe('poll HTTP 503 (http): boom');
    expect(formatError({ name: 'ChatInputError', code: 'empty-text', event: 'message.send', message: 'Text is empty.' })).toBe('message.send: Text is empty.');
  });

  it('colours only on a terminal without NO_COLOR', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({}, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(painter(false)('error', 'x')).toBe('x');
    expect(painter(true)('error', 'x')).toBe('\u001b[31mx\u001b[39m');
  });
});

describe('Printer', () => {
  it('groups consecutive states on one line and continues from the last one printed', () => {
    const lines: string[] = [];
    const printer = new Printer({ writeLine: (l) => lines.push(l), paint: painter(false), stateFlushMs: 0 });
    printer.state('auth');
    printer.state('history');
    printer.state('connecting');
    printer.line('hello');
    printer.state('queuing');
    printer.flush();
    printer.flush();
    expect(lines).toEqual(['[state] auth → history → connecting', 'hello', '[state] connecting → queuing']);
  });

  it('flushes by itself after a quiet period', async () => {
    const lines: string[] = [];
    const printer = new Printer({ writeLine: (l) => lines.push(l), paint: painter(false), stateFlushMs: 10 });
    printer.state('auth');
    await new Promise((r) => setTimeout(r, 40));
    expect(lines).toEqual(['[state] auth']);
  });
});

describe('TranscriptRenderer', () => {
  const identity = { userId: 'u1', userName: 'Ann', channelId: 'c1', locale: 'en' };
  const base = (): ChatSessionContext => createInitialContext({ input: { identity } });
  function snapshot(value: RenderableSnapshot['value'], context: Partial<ChatSessionContext>): RenderableSnapshot {
    return { value, status: 'active', context: { ...base(), ...context } };
  }
  const agentMessage = (key: string, text: string): TranscriptEntry => ({
    kind: 'incoming',
    key,
    message: {
      key,
      messageCode: key,
      sourceType: 'AGENT',
      senderNickname: 'Alice',
      timestamp: 1,
      callId: 'c',
      from: 'c1',
      to: 'u1',
      controlType: 'CHAT',
      content: { mediaType: 'TEXT', text },
      interIdx: null,
      robotGender: null,
      simQuestions: null,
      queueFlag: false,
    },
  });
  const outgoing = (key: string, text: string, status: 'queued' | 'sending' | 'sent' | 'failed', read = false): TranscriptEntry => ({
    kind: 'outgoing',
    key,
    localId: key,
    timestamp: 1,
    mediaType: 'TEXT',
    text,
    file: null,
    content: text,
    status,
    read,
    error: null,
  });

  it('prints each message once, outgoing when typed, status changes and read receipts once', () => {
    const lines: string[] = [];
    const printer = new Printer({ writeLine: (l) => lines.push(l), paint: painter(false), stateFlushMs: 0 });
    const renderer = new TranscriptRenderer(printer, painter(false));
    const chatting = { connected: { chatting: { outbox: 'idle' } } };
    const a = agentMessage('m1', 'Hello');
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a]) }));
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a, outgoing('o1', 'Hi', 'queued')]) }));
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a, outgoing('o1', 'Hi', 'sending')]) }));
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a, outgoing('o1', 'Hi', 'sent')]) }));
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a, outgoing('o1', 'Hi', 'sent', true)]) }));
    renderer.update(snapshot(chatting, { servedBy: 'agent', agentNickname: 'Alice', transcript: transcriptOf([a, outgoing('o1', 'Hi', 'sent', true), outgoing('o2', 'Bye', 'failed')]) }));
    renderer.flush();
    expect(lines).toEqual([
      '[state] chatting (agent Alice)',
      'Agent Alice: Hello',
      'You: Hi',
      '[read] Alice has read "Hi"',
      'You: Bye',
      '[!] not sent: "Bye" (/retry)',
    ]);
    expect(renderer.counters).toEqual({ messagesIn: 1, messagesOut: 1, filesSent: 0, filesReceived: 0 });
    expect(renderer.statePath).toEqual(['chatting (agent Alice)']);
  });

  it('queue positions only when they change; input errors once', () => {
    const lines: string[] = [];
    const printer = new Printer({ writeLine: (l) => lines.push(l), paint: painter(false), stateFlushMs: 0 });
    const renderer = new TranscriptRenderer(printer, painter(false));
    const metrics = { totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 60, longestWaitTime: 0, estimateWaitTime: 1 };
    const q = (position: number) => ({ status: 'queuing' as const, position, ...metrics });
    renderer.update(snapshot({ connected: 'queuing' }, { queue: q(2) }));
    renderer.update(snapshot({ connected: 'queuing' }, { queue: q(2) }));
    renderer.update(snapshot({ connected: 'queuing' }, { queue: q(1) }));
    const error = { name: 'ChatInputError' as const, code: 'empty-text' as const, event: 'message.send', message: 'Text is empty.' };
    renderer.update(snapshot({ connected: 'queuing' }, { queue: q(1), error }));
    const again = { connected: 'queuing' as const };
    const s = snapshot(again, { queue: q(1), error });
    renderer.update(s);
    renderer.flush();
    expect(lines).toEqual(['[state] queuing', '[queue] position 2, est. wait 1 s', '[queue] position 1, est. wait 1 s', '[!] message.send: Text is empty.']);
  });
});

describe('TranscriptRenderer: survey-unavailable', () => {
  const identity = { userId: 'u1', userName: 'Ann', channelId: 'c1', locale: 'en' };
  const at = (ending: string, error: ChatSessionContext['error']): RenderableSnapshot => ({
    value: { connected: { ending } },
    status: 'active',
    context: { ...createInitialContext({ input: { identity } }), servedBy: 'agent', agentNickname: 'Alice', error },
  });
  const failure = (status: number, message: string): NonNullable<ChatSessionContext['error']> => ({ name: 'AiccError', kind: 'http', api: 'getSatisfactionSurveyMode', message, status });

  it('says why (the typed error) and what to do, every time the state is entered; a failed attempt on the way is an [error]', () => {
    const lines: string[] = [];
    const printer = new Printer({ writeLine: (l) => lines.push(l), paint: painter(false), stateFlushMs: 0 });
    const renderer = new TranscriptRenderer(printer, painter(false));
    const first = failure(503, 'Service Unavailable');
    const last = failure(503, 'still unavailable');
    renderer.update(at('fetching-survey', null));
    renderer.update(at('survey-mode-retry', first));
    renderer.update(at('fetching-survey', first));
    renderer.update(at('survey-unavailable', last));
    renderer.update(at('survey-unavailable', last));
    renderer.update(at('fetching-survey', last)); // /retry
    const refused = failure(400, 'Bad Request');
    renderer.update(at('survey-unavailable', refused));
    renderer.flush();
    expect(lines).toEqual([
      '[state] ending',
      '[error] getSatisfactionSurveyMode HTTP 503 (http): Service Unavailable',
      '[state] ending → survey-unavailable',
      '[survey] the survey could not be loaded: getSatisfactionSurveyMode HTTP 503 (http): still unavailable',
      '[survey] /retry to ask again, or /skip to end without a survey.',
      '[state] survey-unavailable → ending → survey-unavailable',
      '[survey] the survey could not be loaded: getSatisfactionSurveyMode HTTP 400 (http): Bad Request',
      '[survey] /retry to ask again, or /skip to end without a survey.',
    ]);
    expect(renderer.statePath).toEqual(['ending', 'survey-unavailable', 'ending', 'survey-unavailable']);
  });
});

describe('commands', () => {
  it('plain text is a message; // escapes a leading slash', () => {
    expect(parseCommand('  hello  ')).toEqual({ kind: 'say', text: 'hello' });
    expect(parseCommand('//etc/hosts is a path')).toEqual({ kind: 'say', text: '/etc/hosts is a path' });
    expect(parseCommand('   ')).toEqual({ kind: 'empty' });
  });

  it('the commands and their arguments', () => {
    expect(parseCommand('/file')).toEqual({ kind: 'file', path: null });
    expect(parseCommand('/file ./my photo.png')).toEqual({ kind: 'file', path: './my photo.png' });
    expect(parseCommand('/agent')).toEqual({ kind: 'agent' });
    expect(parseCommand('/END')).toEqual({ kind: 'end' });
    expect(parseCommand('/rate 5 great service')).toEqual({ kind: 'rate', score: 5, comment: 'great service' });
    expect(parseCommand('/rate 3')).toEqual({ kind: 'rate', score: 3, comment: null });
    expect(parseCommand('/rate no too slow')).toEqual({ kind: 'rate', score: 'no', comment: 'too slow' });
    expect(parseCommand('/rate great')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('/skip')).toEqual({ kind: 'skip' });
    expect(parseCommand('/leave +49 30 1234567 Call me back, please')).toEqual({ kind: 'leave', caller: '+49 30 1234567', message: 'Call me back, please' });
    expect(parseCommand('/leave 555-0100 hi')).toEqual({ kind: 'leave', caller: '555-0100', message: 'hi' });
    expect(parseCommand('/leave nobody')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('/suggest pass')).toEqual({ kind: 'suggest', text: 'pass' });
    expect(parseCommand('/retry')).toEqual({ kind: 'retry' });
    expect(parseCommand('/read')).toEqual({ kind: 'read' });
    expect(parseCommand('/sim say hi there')).toEqual({ kind: 'sim', action: 'say', text: 'hi there' });
    expect(parseCommand('/sim hangup')).toEqual({ kind: 'sim', action: 'hangup', text: null });
    expect(parseCommand('/sim dance')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('/help')).toEqual({ kind: 'help' });
    expect(parseCommand('/quit')).toEqual({ kind: 'quit' });
    expect(parseCommand('/nope')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('/nope') });
  });

  it('file types from names', () => {
    expect(fileTypeOf('a/b/photo.JPEG')).toBe('jpeg');
    expect(fileTypeOf('README')).toBeNull();
  });
});

describe('samples and the simulated agent', () => {
  it('the sample photo is a PNG of about 1.2 KB; the agent image 3000 bytes with JPEG markers', () => {
    const png = samplePhoto();
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(1000);
    expect(png.length).toBeLessThan(1600);
    const jpg = sampleAgentImage();
    expect(jpg.length).toBe(3000);
    expect([...jpg.slice(0, 2), ...jpg.slice(-2)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  });

  it('the agent answers in context', () => {
    expect(demoAgentReply('my parcel arrived damaged')).toMatch(/photo/);
    expect(demoAgentReply("thanks, that's all")).toMatch(/welcome/);
    expect(demoAgentReply('where is it')).toBe('Let me check that for you: "where is it".');
  });
});
