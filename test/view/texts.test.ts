/**
 * The text catalogues: English and Simplified Chinese list the same keys with the same values,
 * the view speaks Chinese in every state, end reason and error when the session's locale is
 * zh_CN (and the page offers the catalogue), locales are normalised, and a host's texts win.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, waitFor, type StateValue } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { END_REASONS, type ChatInputErrorCode, type ChatSessionContext, type ChatSessionError, type ChatUserEvent } from '../../machines/chatSession.types.js';
import type { AiccErrorKind } from '../../src/client/errors.js';
import { ZH_CN_TEXTS } from '../../src/locales/zh_CN.js';
import { CHAT_TEXTS, chatTexts, chatView, connectChat, errorText, normaliseLocale, textsForLocale, type ChatMessageView, type ChatSnapshot, type ChatTexts, type ChatView } from '../../src/index.js';
import { STEP_OF_STATE, type ChatStep } from '../../src/view/view.js';
import { agentSurvey, agentText, fakeActors, identity, input, ok, robotText, startSession } from '../machine/helpers.js';

const zh = { locales: [ZH_CN_TEXTS] };
const HAN = /\p{Script=Han}/u;
const placeholders = (text: unknown): string[] => (typeof text === 'string' ? [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort() : []);

/** Every text of a catalogue by its path (`status.auth`, `queue.position`, ...). */
function entries(texts: ChatTexts): Map<string, unknown> {
  const all = new Map<string, unknown>();
  for (const [group, value] of Object.entries(texts)) {
    if (typeof value === 'object' && value !== null) for (const [key, text] of Object.entries(value)) all.set(`${group}.${key}`, text);
    else all.set(group, value);
  }
  return all;
}

describe('the catalogues', () => {
  const en = entries(CHAT_TEXTS);
  const cn = entries(ZH_CN_TEXTS);

  it('list the same keys (a key added to one only fails here and in tsc)', () => {
    expect([...cn.keys()].sort()).toEqual([...en.keys()].sort());
    expect(en.size).toBeGreaterThan(60); // the walk reaches every group
  });

  it('zh_CN is Chinese throughout, with the values the English texts use', () => {
    for (const [path, text] of cn) {
      if (path === 'locale') continue;
      expect(typeof text, path).toBe('string');
      expect(text, path).toMatch(HAN);
      // A ChatInputError's English sentence is never shown in Chinese.
      if (path.startsWith('inputErrors.')) expect(placeholders(text), path).toEqual([]);
      else expect(placeholders(text), path).toEqual(placeholders(en.get(path)));
    }
  });

  it('en_US is the English default and says where it applies', () => {
    expect(CHAT_TEXTS.locale).toBe('en_US');
    expect(ZH_CN_TEXTS.locale).toBe('zh_CN');
    for (const [path, text] of en) if (path !== 'locale') expect(text, path).not.toMatch(HAN);
  });
});

describe('locales', () => {
  it.each([
    ['zh_CN', 'zh_CN'],
    ['zh-CN', 'zh_CN'],
    ['zh_cn', 'zh_CN'],
    ['ZH', 'zh'],
    ['zh', 'zh'],
    ['en_US.UTF-8', 'en_US'],
    ['zh-Hans-CN', 'zh'],
    [' en ', 'en'],
    ['', ''],
    ['chinese', ''],
    [undefined, ''],
  ] as const)('%j is %j', (locale, normalised) => {
    expect(normaliseLocale(locale)).toBe(normalised);
  });

  it.each([
    ['zh_CN', 'zh_CN'],
    ['zh-CN', 'zh_CN'],
    ['zh', 'zh_CN'],
    ['zh_TW', 'zh_CN'],
    ['en', 'en_US'],
    ['en_GB', 'en_US'],
    ['fr_FR', 'en_US'],
    ['', 'en_US'],
    [undefined, 'en_US'],
  ] as const)('%j shows %s (when the page offers zh_CN)', (locale, shown) => {
    expect(textsForLocale(locale, [ZH_CN_TEXTS]).locale).toBe(shown);
  });

  it('without the zh_CN catalogue, every locale shows in English', () => {
    expect(textsForLocale('zh_CN')).toBe(CHAT_TEXTS);
  });

  it("a catalogue written for the exact locale wins over one in the same language, and a host's English over the built-in one", () => {
    const zhTw = chatTexts({ locale: 'zh_TW', status: { auth: '正在登入…' } }, ZH_CN_TEXTS);
    const enGb = chatTexts({ locale: 'en_US', names: { you: 'Me' } });
    expect(textsForLocale('zh-TW', [ZH_CN_TEXTS, zhTw])).toBe(zhTw);
    expect(textsForLocale('zh', [ZH_CN_TEXTS, zhTw])).toBe(ZH_CN_TEXTS);
    expect(textsForLocale('en_GB', [enGb])).toBe(enGb);
  });
});

// Snapshots of every step, resolved from the machine itself (as in states.test.ts).
const base: ChatSessionContext = initialTransition(chatSessionMachine, input)[0].context;
const valueAt = (path: string): StateValue => path.split('.').reduceRight<StateValue | null>((inner, key) => (inner === null ? key : { [key]: inner }), null)!;
const snapshotAt = (path: string, context: Partial<ChatSessionContext> = {}): ChatSnapshot =>
  chatSessionMachine.resolveState({ value: valueAt(path) as never, context: { ...base, identity: { ...identity, locale: 'zh_CN' }, ...context } });

/** What the status line says in Chinese, by step (and who serves while chatting). */
const ZH_STATUS: Record<Exclude<ChatStep, 'chatting'> | 'chatting-robot' | 'chatting-agent', string> = {
  auth: '正在登录…',
  'auth-retry': '登录失败，正在重试…',
  history: '正在加载历史消息…',
  connecting: '正在连接…',
  'connect-retry': '连接失败，正在重试…',
  'leave-message': '请给我们留言',
  queuing: '正在等待人工客服',
  'chatting-robot': '智能助手为您服务',
  'chatting-agent': '小王为您服务',
  ending: '正在结束会话…',
  'survey-mode-retry': '评价加载失败，正在重试…',
  'survey-unavailable': '评价加载失败',
  'survey-agent': '请对本次服务进行评价',
  'survey-robot': '智能助手是否解决了您的问题？',
  disconnecting: '正在关闭…',
  disconnected: '会话已结束',
};

const ZH_END: Record<(typeof END_REASONS)[number], string> = {
  'customer-ended': '您已结束本次会话。',
  'agent-ended': '客服已结束本次会话。',
  'session-released': '会话已被系统关闭。',
  'auth-failed': '登录客服系统失败。',
  'connect-failed': '会话连接失败。',
  'after-hours': '当前为非工作时间。',
  'message-left': '留言已提交，我们会尽快给您回电。',
  'network-lost': '网络连接已断开。',
};

describe('the view in zh_CN', () => {
  it.each(Object.entries(STEP_OF_STATE))('%s: the status line (robot and agent)', (path, step) => {
    for (const servedBy of ['robot', 'agent'] as const) {
      const view = chatView(snapshotAt(path, { servedBy, agentNickname: '小王' }), zh);
      const key = step === 'chatting' ? (`chatting-${servedBy}` as const) : step;
      expect(view.statusText).toBe(ZH_STATUS[key]);
    }
  });

  it('an agent without a nickname is 客服', () => {
    expect(chatView(snapshotAt('connected.chatting', { servedBy: 'agent', agentNickname: null }), zh).statusText).toBe('客服为您服务');
  });

  it.each(END_REASONS.map((reason) => [reason]))('end reason %s', (reason) => {
    expect(chatView(snapshotAt('disconnected', { endReason: reason }), zh).endText).toBe(ZH_END[reason]);
  });

  const ZH_ERRORS: Record<AiccErrorKind, [Partial<ChatSessionError>, string]> = {
    network: [{}, '无法连接客服系统。'],
    timeout: [{}, '客服系统响应超时。'],
    http: [{ status: 503 }, '客服系统异常（HTTP 503）。'],
    business: [{ resultCode: '13', resultDesc: 'No ccucs address available!' }, '客服系统未受理：No ccucs address available!'],
    validation: [{}, '请求有误：send: boom'],
    aborted: [{}, '请求已取消。'],
    protocol: [{}, '客服系统返回了无法识别的数据。'],
  };
  it.each(Object.entries(ZH_ERRORS))('error kind %s', (kind, [extra, text]) => {
    const error = { name: 'AiccError', kind, api: 'send', message: 'send: boom', ...extra } as ChatSessionError;
    expect(errorText(error, ZH_CN_TEXTS)).toBe(text);
    expect(chatView(snapshotAt('auth-retry', { error }), zh).errorText).toBe(text);
  });

  it('every input error code has its own Chinese sentence, not the English message', () => {
    const codes = Object.keys(CHAT_TEXTS.inputErrors) as ChatInputErrorCode[];
    const texts = codes.map((code) => errorText({ name: 'ChatInputError', code, event: 'message.send', message: 'The message is empty.' }, ZH_CN_TEXTS));
    expect(new Set(texts).size).toBe(codes.length);
    for (const text of texts) expect(text).toMatch(HAN);
    expect(errorText({ name: 'ChatInputError', code: 'empty-text', event: 'message.send', message: 'The message is empty.' })).toBe('The message is empty.');
  });

  it('banners, queue texts, notices', () => {
    const offline = chatView(snapshotAt('connected.queuing', { connection: { ...base.connection, online: false } }), zh);
    expect(offline.connection.text).toBe('网络已断开，恢复后消息将自动发送。');
    expect(offline.queue?.text).toBe('正在为您安排客服…');
    const ivr = chatView(snapshotAt('connected.queuing', { queue: { status: 'in-ivr' } }), zh);
    expect(ivr.queue?.text).toBe('正在等待空闲客服…');
  });
});

describe('the language of the view (lang=)', () => {
  it("is the shown catalogue's, as a BCP 47 tag", () => {
    const zhSession = snapshotAt('connected.chatting');
    expect(chatView(zhSession, zh).lang).toBe('zh-CN');
    // The page offers no Chinese: English is shown, and the view says so.
    expect(chatView(zhSession).lang).toBe('en-US');
    expect(chatView(zhSession, { ...zh, locale: 'en' }).lang).toBe('en-US');
    const english = chatSessionMachine.resolveState({ value: 'auth', context: base });
    expect(chatView(english, zh).lang).toBe('en-US');
    // A host's catalogue for another locale.
    const zhTw = chatTexts({ locale: 'zh_TW' }, ZH_CN_TEXTS);
    expect(chatView(zhSession, { locale: 'zh-TW', locales: [zhTw] }).lang).toBe('zh-TW');
    expect(Intl.DateTimeFormat(chatView(zhSession, zh).lang).resolvedOptions().locale).toBe('zh-CN');
  });
});

describe('a whole chat in zh_CN, over the running machine', () => {
  it('robot → agent → survey: status, queue, senders, message status, end', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    fakes.fetchSurveyMode.answer = () => agentSurvey;
    const session = startSession({ fakes, input: { ...input, identity: { ...identity, locale: 'zh-CN' } } });
    const view = (): ChatView => chatView(session.actor.getSnapshot(), zh);
    const send = (event: ChatUserEvent) => session.actor.send(event);
    const until = (test: (v: ChatView) => boolean) => waitFor(session.actor, (s) => test(chatView(s, zh)));

    expect(view().statusText).toBe('正在登录…');
    await until((v) => v.phase === 'chatting-robot');
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', '您好', '9')] });
    connectChat(session.actor.getSnapshot(), send, zh).sendMessage('');
    expect(view()).toMatchObject({ statusText: '智能助手为您服务', errorText: '请输入消息内容。' });
    connectChat(session.actor.getSnapshot(), send, zh).sendMessage('转人工');
    const mine = view().transcript.find((e): e is ChatMessageView => e.kind === 'message' && e.from === 'customer')!;
    expect(mine).toMatchObject({ sender: '我', statusText: '发送中…' });

    connectChat(session.actor.getSnapshot(), send, zh).requestAgent();
    await until((v) => v.phase === 'queuing');
    fakes.watchQueue.emit({
      type: 'queue.updated',
      info: { status: 'queuing', position: 2, totalWaitTime: 3, currentDeviceWaitTime: 3, configMaxWaitTime: 60, longestWaitTime: 3, estimateWaitTime: 60 },
    });
    expect(view()).toMatchObject({ statusText: '正在等待人工客服', queue: { text: '您当前排在第 2 位，预计等待约 60 秒' } });

    fakes.watchQueue.emit({ type: 'queue.served' });
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1', '您好，我是 Smith')] });
    expect(view().statusText).toBe('Agent Smith为您服务');
    connectChat(session.actor.getSnapshot(), send, zh).end();
    await until((v) => v.phase === 'survey-agent');
    expect(view()).toMatchObject({ statusText: '请对本次服务进行评价', endText: '您已结束本次会话。' });
    connectChat(session.actor.getSnapshot(), send, zh).skip();
    await until((v) => v.phase === 'ended');
    expect(view()).toMatchObject({ statusText: '会话已结束', endText: '您已结束本次会话。' });
    // The same snapshot, without the catalogue on offer: English, as before.
    expect(chatView(session.actor.getSnapshot()).statusText).toBe('Chat ended');
  });
});

describe('which texts win', () => {
  const queuing = (locale: string) =>
    snapshotAt('connected.queuing', {
      identity: { ...identity, locale },
      queue: { status: 'queuing', position: 3, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 60, longestWaitTime: 0, estimateWaitTime: 0 },
      endReason: 'customer-ended',
    });

  it("host texts > the locale option > the session's locale > English", () => {
    expect(chatView(queuing('zh_CN')).queue?.text).toBe('You are number 3 in the queue');
    expect(chatView(queuing('zh_CN'), zh).queue?.text).toBe('您当前排在第 3 位');
    expect(chatView(queuing('zh_CN'), { ...zh, locale: 'en' }).queue?.text).toBe('You are number 3 in the queue');
    expect(chatView(queuing('en_US'), { ...zh, locale: 'zh' }).queue?.text).toBe('您当前排在第 3 位');
    const texts = { queue: { position: '排队中：第 {position} 位' } };
    const v = chatView(queuing('zh_CN'), { ...zh, texts });
    expect(v.queue?.text).toBe('排队中：第 3 位');
    expect(v).toMatchObject({ statusText: '正在等待人工客服', endText: '您已结束本次会话。' });
    // Overrides apply to whichever catalogue was picked.
    expect(chatView(queuing('en'), { ...zh, texts }).statusText).toBe('Waiting for an agent');
  });

  it('a whole catalogue as texts replaces every text, whatever the locale', () => {
    expect(chatView(queuing('en_US'), { texts: ZH_CN_TEXTS })).toMatchObject({ statusText: '正在等待人工客服', queue: { text: '您当前排在第 3 位' } });
  });

  it('a text can be a function of its values', () => {
    const texts = { queue: { position: ({ position }: { position: number }) => (position === 1 ? '下一位就是您' : `前面还有 ${position - 1} 位`) } };
    expect(chatView(queuing('zh_CN'), { ...zh, texts }).queue?.text).toBe('前面还有 2 位');
    const error: ChatSessionError = { name: 'AiccError', kind: 'http', api: 'send', message: 'x', status: 502 };
    expect(errorText(error, chatTexts({ errors: { http: ({ status }) => `网关错误 ${status ?? '?'}` } }, ZH_CN_TEXTS))).toBe('网关错误 502');
  });

  it('the same options object keeps the entry views; another locale rebuilds them', async () => {
    const session = startSession({ input: { ...input, identity: { ...identity, locale: 'zh_CN' } } });
    await waitFor(session.actor, (s) => chatView(s).phase === 'queuing');
    session.fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1')] });
    const snapshot = session.actor.getSnapshot();
    const options = { ...zh, texts: { names: { agent: '专员' } } };
    const first = chatView(snapshot, options).transcript[0];
    expect(chatView(snapshot, options).transcript[0]).toBe(first);
    expect(chatView(snapshot, { ...options, locale: 'en' }).transcript[0]).not.toBe(first);
  });
});
