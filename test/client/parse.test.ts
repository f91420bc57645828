import { describe, expect, it } from 'vitest';
import { fileRefOf, messageKey, parseDownlink } from '../../src/client/parse.js';
import type { WireDownlinkMessage } from '../../src/client/protocol.js';

const base: WireDownlinkMessage = {
  from: '1011577355744904195',
  to: 'user-1',
  channel: 'WEB',
  controlType: 'CHAT',
  sourceType: 'AGENT',
  mediaType: 'TEXT',
  content: 'hello',
  senderNickname: 'Alice',
  timestamp: 1619590480756,
  callId: '1659938875-16806492',
};

describe('parseDownlink', () => {
  it('parses a text chat message with numeric fields from strings', () => {
    const message = parseDownlink({ ...base, timestamp: '1619590480756', messageCode: 'ABC' });
    expect(message).toMatchObject({
      controlType: 'CHAT',
      key: 'ABC',
      sourceType: 'AGENT',
      timestamp: 1619590480756,
      content: { mediaType: 'TEXT', text: 'hello' },
    });
  });

  it('keeps robot fields', () => {
    const message = parseDownlink({ ...base, sourceType: 'ROBOT', interIdx: '3', robotGender: 'MALE', callId: null });
    expect(message.controlType === 'CHAT' && message.interIdx).toBe('3');
    expect(message.controlType === 'CHAT' && message.robotGender).toBe('MALE');
  });

  it('resolves local and media-library files, in both content formats', () => {
    expect(fileRefOf({ mediaType: 'IMAGE', content: 'k1', contentType: '1', mediaFileType: 'png' })).toEqual({
      fileId: 'local/k1',
      fileType: 'png',
      multiMedia: false,
    });
    expect(fileRefOf({ mediaType: 'IMAGE', content: 'k2,JPG', contentType: null, mediaFileType: null })).toEqual({
      fileId: 'k2',
      fileType: 'jpg',
      multiMedia: true,
    });
    expect(fileRefOf({ mediaType: 'VIDEO', content: 'k3', contentType: null, mediaFileType: null }).fileType).toBe('mp4');
  });

  it('parses LOCATE, and keeps unknown media visible instead of dropping it', () => {
    const located = parseDownlink({ ...base, mediaType: 'LOCATE', content: '31.2/121.5/Shanghai/Pudong' });
    expect(located.controlType === 'CHAT' && located.content).toEqual({
      mediaType: 'LOCATE',
      latitude: 31.2,
      longitude: 121.5,
      description: 'Shanghai/Pudong',
    });
    const odd = parseDownlink({ ...base, mediaType: 'HOLOGRAM', content: 'x' });
    expect(odd.controlType === 'CHAT' && odd.content).toEqual({ mediaType: 'UNKNOWN', raw: 'x', rawMediaType: 'HOLOGRAM' });
  });

  it('parses DISCONNECT with isOfflineStatus as boolean or string', () => {
    const agentEnd = parseDownlink({ ...base, controlType: 'DISCONNECT', mediaType: null, content: null, senderNickname: null });
    expect(agentEnd).toMatchObject({ controlType: 'DISCONNECT', isOfflineStatus: false, sourceType: 'AGENT' });
    const offline = parseDownlink({ ...base, controlType: 'DISCONNECT', sourceType: 'SYSTEM', isOfflineStatus: 'true' });
    expect(offline).toMatchObject({ controlType: 'DISCONNECT', isOfflineStatus: true });
  });

  it('parses READ ids from a JSON array or a plain list', () => {
    expect(parseDownlink({ ...base, controlType: 'READ', content: '["1","2"]' })).toMatchObject({ messageIds: ['1', '2'] });
    expect(parseDownlink({ ...base, controlType: 'READ', content: '3, 4' })).toMatchObject({ messageIds: ['3', '4'] });
  });

  it('maps unknown control and source types without throwing', () => {
    const message = parseDownlink({ controlType: 'RECALL', sourceType: 'ALIEN' });
    expect(message).toMatchObject({ controlType: 'UNKNOWN', rawControlType: 'RECALL', sourceType: 'SYSTEM', timestamp: 0 });
  });
});

describe('messageKey', () => {
  it('uses messageCode, else a stable hash that tells different messages apart', () => {
    expect(messageKey({ ...base, messageCode: 'CODE' })).toBe('CODE');
    expect(messageKey(base)).toBe(messageKey({ ...base }));
    expect(messageKey(base)).not.toBe(messageKey({ ...base, content: 'hello!' }));
    expect(messageKey(base)).not.toBe(messageKey({ ...base, timestamp: 1 }));
  });
});
