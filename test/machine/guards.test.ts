import { describe, expect, it } from 'vitest';
import { guards } from '../../machines/chatSession.guards.js';
import {
  validateAgentSurvey,
  validateFile,
  validateLeaveMessage,
  validateRobotSurvey,
  validateText,
  utf8ByteLength,
  normaliseFileType,
} from '../../machines/chatSession.validation.js';
import type { ChatSessionEvent } from '../../machines/chatSession.types.js';
import { AiccError, toErrorInfo } from '../../src/client/errors.js';
import { agentText, businessError, disconnect, done, failed, freshContext, networkError, polled, robotText, agentSurvey } from './helpers.js';

const g = (name: keyof typeof guards, event: ChatSessionEvent, context = freshContext()) => guards[name]({ context, event });

describe('validation', () => {
  it('counts UTF-8 bytes like the wire does', () => {
    expect(utf8ByteLength('abc')).toBe(3);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('版本')).toBe(6);
    expect(utf8ByteLength('😀')).toBe(4);
  });

  it('counts the bytes only past a third of the limit, and is exact on both sides of it', () => {
    // 341 three-byte characters (1 023 bytes) pass uncounted; 342 are counted and refused.
    expect(validateText({ type: 'message.send', text: '版'.repeat(341) })).toBeNull();
    expect(validateText({ type: 'message.send', text: '版'.repeat(342) })?.code).toBe('text-too-long');
    // Four-byte characters are two units each: 256 (1 024 bytes) pass, 257 are refused.
    expect(validateText({ type: 'message.send', text: '😀'.repeat(256) })).toBeNull();
    expect(validateText({ type: 'message.send', text: '😀'.repeat(257) })).toMatchObject({ code: 'text-too-long', message: 'The message is 1028 bytes; at most 1024 are allowed.' });
    // A lone surrogate goes out as U+FFFD: 3 bytes.
    expect(validateText({ type: 'message.send', text: 'a'.repeat(1021) + '\ud800' })).toBeNull();
    expect(validateText({ type: 'message.send', text: 'a'.repeat(1022) + '\ud800' })?.code).toBe('text-too-long');
  });

  it('rejects empty, blank, non-string and oversized text with typed errors', () => {
    expect(validateText({ type: 'message.send', text: '' })?.code).toBe('empty-text');
    expect(validateText({ type: 'message.send', text: '   ' })?.code).toBe('empty-text');
    expect(validateText({ type: 'message.send', text: 42 })?.code).toBe('empty-text');
    expect(validateText({ type: 'message.send' })?.code).toBe('empty-text');
    expect(validateText({ type: 'message.send', text: 'a'.repeat(1024) })).toBeNull();
    const tooLong = validateText({ type: 'message.send', text: '版'.repeat(342) });
    expect(tooLong).toMatchObject({ name: 'ChatInputError', code: 'text-too-long', event: 'message.send', field: 'text' });
  });

  it('checks files: bytes, type, size', () => {
    const context = freshContext();
    expect(validateFile(context, { type: 'file.send', data: new Uint8Array([1]), fileType: 'JPEG' })).toBeNull();
    expect(validateFile(context, { type: 'file.send', data: new ArrayBuffer(3), fileType: 'txt' })).toBeNull();
    expect(validateFile(context, { type: 'file.send', data: new Blob(['x']), fileType: 'mp3' })).toBeNull();
    expect(validateFile(context, { type: 'file.send', data: 'bytes', fileType: 'jpg' })?.code).toBe('invalid-file');
    expect(validateFile(context, { type: 'file.send', data: new Uint8Array(0), fileType: 'jpg' })?.code).toBe('invalid-file');
    expect(validateFile(context, { type: 'file.send', data: new Uint8Array(1), fileType: 'exe' })?.code).toBe('unsupported-file-type');
    const small = freshContext({ config: { ...context.config, maxUploadBytes: 2 } });
    expect(validateFile(small, { type: 'file.send', data: new Uint8Array(3), fileType: 'png' })?.code).toBe('file-too-large');
    expect(normaliseFileType('.JPEG')).toBe('jpg');
  });

  it('checks agent survey answers against the survey levels', () => {
    const context = freshContext({ survey: { offer: { target: 'agent', levels: agentSurvey.surveyType === 'WEB' ? agentSurvey.levels : [], questions: [] } } });
    expect(validateAgentSurvey(context, { evaluation: '5' })).toBeNull();
    expect(validateAgentSurvey(context, { evaluation: '3' })?.code).toBe('invalid-rating');
    expect(validateAgentSurvey(context, { evaluation: 5 })?.code).toBe('invalid-rating');
    expect(validateAgentSurvey(context, { evaluation: '5', comment: 'x'.repeat(512) })?.code).toBe('invalid-comment');
    expect(validateAgentSurvey(context, { evaluation: '5', npsScore: 11 })?.code).toBe('invalid-nps');
    expect(validateAgentSurvey(context, { evaluation: '5', npsScore: 2.5 })?.code).toBe('invalid-nps');
    expect(validateAgentSurvey(context, { evaluation: '5', fcr: 'yes' })?.code).toBe('invalid-fcr');
    expect(validateAgentSurvey(freshContext(), { evaluation: '3' })).toBeNull(); // default levels 1..5
  });

  it('checks robot feedback: boolean, and a comment when dissatisfied', () => {
    expect(validateRobotSurvey({ satisfied: true })).toBeNull();
    expect(validateRobotSurvey({ satisfied: 'no' })?.code).toBe('invalid-rating');
    expect(validateRobotSurvey({ satisfied: false })?.code).toBe('comment-required');
    expect(validateRobotSurvey({ satisfied: false, comment: 'wrong answer' })).toBeNull();
    expect(validateRobotSurvey({ satisfied: false, comment: 'x'.repeat(65) })?.code).toBe('invalid-comment');
  });

  it('checks leave-message input', () => {
    expect(validateLeaveMessage({ caller: '+86 138-6666-7777', message: 'call me' })).toBeNull();
    expect(validateLeaveMessage({ caller: 'abc', message: 'call me' })?.code).toBe('invalid-caller');
    expect(validateLeaveMessage({ caller: '13866667777', message: ' ' })?.code).toBe('invalid-leave-message');
  });

  it('turns anything thrown into AiccErrorInfo', () => {
    expect(toErrorInfo(businessError('12'))).toMatchObject({ name: 'AiccError', kind: 'business', resultCode: '12' });
    expect(toErrorInfo(new Error('boom'))).toMatchObject({ name: 'AiccError', kind: 'protocol', api: 'client', message: 'boom' });
    expect(toErrorInfo('weird')).toMatchObject({ kind: 'protocol', message: 'weird' });
    expect(toErrorInfo({ name: 'AiccError', kind: 'timeout', api: 'poll', message: 't' })).toMatchObject({ kind: 'timeout', api: 'poll' });
  });
});

describe('guards', () => {
  it('tells a robot CONNECT answer from an agent one', () => {
    expect(g('isRobotAnswer', done('connect', { resultCode: '0', resultDesc: 'connect to robot successfully.' }))).toBe(true);
    expect(g('isRobotAnswer', done('connect', { resultCode: '0', resultDesc: 'process robot multi message successfully' }))).toBe(true);
    expect(g('isRobotAnswer', done('connect', { resultCode: '0', resultDesc: 'success' }))).toBe(false);
    expect(g('isRobotAnswer', done('connect', { resultCode: '0', resultDesc: 'send sendMessageForOpenApiAsync success.' }))).toBe(false);
    expect(g('isRobotAnswer', done('connect', undefined))).toBe(false);
  });

  it('classifies CONNECT failures', () => {
    const afterHours = failed('connect', businessError('12'));
    const noCcucs = failed('connect', businessError('13', 'No ccucs address available!'));
    const network = failed('connect', networkError());
    const invalid = failed('connect', new AiccError({ kind: 'validation', api: 'send', message: 'from too long' }));
    expect(g('isAfterHours', afterHours)).toBe(true);
    expect(g('isAfterHours', noCcucs)).toBe(false);
    expect(g('isBusinessError', noCcucs)).toBe(true);
    expect(g('isBusinessError', network)).toBe(false);
    expect(g('canRetryConnect', network)).toBe(true);
    expect(g('canRetryConnect', network, freshContext({ bookkeeping: { connectAttempts: 2 } }))).toBe(false); // fastTiming.connectRetries = 2
    expect(g('canRetryConnect', invalid)).toBe(false);
  });

  it('reads poll batches', () => {
    const batch = polled(robotText('r1'), agentText('a1'));
    expect(g('hasAgentMessage', batch)).toBe(true);
    expect(g('hasRobotMessage', batch)).toBe(true);
    expect(g('hasRobotMessage', batch, freshContext({ bookkeeping: { awaitingAgent: true } }))).toBe(false);
    expect(g('hasAgentDisconnect', polled(disconnect('AGENT', 'd1')))).toBe(true);
    expect(g('hasAgentDisconnect', polled(disconnect('SYSTEM', 'd1')))).toBe(false);
    expect(g('hasServerDisconnect', polled(disconnect('SYSTEM', 'd1')))).toBe(true);
    expect(g('hasOfflineDisconnect', polled(disconnect('SYSTEM', 'd1', true)))).toBe(true);
    expect(g('hasOfflineDisconnect', polled(disconnect('SYSTEM', 'd1', false)))).toBe(false);
    expect(g('hasAgentMessage', { type: 'chat.end' })).toBe(false);
  });

  it('decides the survey', () => {
    const web = done('fetchSurveyMode', agentSurvey);
    const none = done('fetchSurveyMode', { surveyType: 'NO' });
    expect(g('isAgentSurvey', web, freshContext({ servedBy: 'agent' }))).toBe(true);
    expect(g('isAgentSurvey', none, freshContext({ servedBy: 'agent' }))).toBe(false);
    expect(g('isAgentSurvey', web, freshContext({ servedBy: 'robot' }))).toBe(false);
    expect(g('isRobotSurvey', web, freshContext({ servedBy: 'robot', bookkeeping: { lastInterIdx: '7' } }))).toBe(true);
    expect(g('isRobotSurvey', web, freshContext({ servedBy: 'robot', bookkeeping: { lastInterIdx: null } }))).toBe(false);
    expect(g('hasPartyToRate', { type: 'chat.end' })).toBe(false);
    expect(g('hasPartyToRate', { type: 'chat.end' }, freshContext({ servedBy: 'robot' }))).toBe(true);
    // Transferred, still waiting for an agent: the robot session is gone and no agent came.
    expect(g('hasPartyToRate', { type: 'chat.end' }, freshContext({ servedBy: 'robot', bookkeeping: { awaitingAgent: true } }))).toBe(false);
  });

  it('throttles typing to agents and real text', () => {
    const agent = freshContext({ servedBy: 'agent' });
    expect(g('shouldSendTyping', { type: 'input.change', text: 'hi' }, agent)).toBe(true);
    expect(g('shouldSendTyping', { type: 'input.change', text: '  ' }, agent)).toBe(false);
    expect(g('shouldSendTyping', { type: 'input.change', text: 'hi' }, freshContext({ servedBy: 'robot' }))).toBe(false);
  });
});
