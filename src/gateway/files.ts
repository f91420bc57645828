/**
 * File ids bound to their customer, without per-user state (issue 17.4).
 *
 * Upstream file ids (upload objectKeys, agents' local files, media-library ids) name no user:
 * whoever knows one can download the file. The gateway therefore never hands a browser an id it
 * could use on its own: every file id in an answer to a customer (poll, history, upload) becomes
 * `<id>~<tag>`, where the tag is HMAC-SHA256 over (customer, id) under a key derived from
 * `tokenSecret`, truncated to 128 bits. Downloads and file messages accept only ids tagged for
 * the caller; the tag is removed before anything goes upstream. A foreign, untagged or tampered
 * id is answered like a file that does not exist, without asking upstream, so the answer cannot
 * tell whether someone else's file exists.
 *
 * Tags are deterministic (the same id for the same customer always gets the same tag), so a
 * message seen in a poll and again in history carries the same content, and any instance with
 * the same `tokenSecret` checks them. Several keys: the one that seals tokens tags, all are accepted.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SendMessageRequest, WireDownlinkMessage, WireFields, WireHistoryMessage } from '../client/protocol.js';
import { activeKey, type TokenKey } from './sealing.js';
import type { GatewayIdentity } from './types.js';

const SALT = 'aicc-chat-machine/gateway';
const INFO = 'file id tag v1';
const TAG_BYTES = 16;
const SEPARATOR = '~';
const TAGGED = /^(.+)~([A-Za-z0-9_-]{22})$/s;
/** A tagged id longer than this is not one of ours (ids upstream are UUIDs or short numbers). */
const MAX_TAGGED_CHARS = 1024;
const LOCAL_PREFIX = 'local/';

/** Media types whose `content` names a file, and where in the content the id sits. */
const FIRST_PART = new Set(['IMAGE', 'AUDIO', 'VIDEO', 'DOCUMENT', 'FILE_IMAGE', 'FILE_VIDEO']);

type Owner = Pick<GatewayIdentity, 'userId' | 'channelId'>;

export interface FileTagger {
  /** `<id>~<tag>` for this customer. */
  tag(owner: Owner, id: string): string;
  /** The upstream id, or null when `tagged` was not tagged for this customer by one of our keys. */
  untag(owner: Owner, tagged: string): string | null;
}

export function createFileTagger(tokenKeys: readonly TokenKey[], now: () => number = Date.now): FileTagger {
  const keys = new Map(tokenKeys.map((key) => [key.kid, Buffer.from(hkdfSync('sha256', Buffer.from(key.secret, 'utf8'), SALT, INFO, 32))]));
  const mac = (key: Buffer, owner: Owner, id: string): Buffer =>
    // userId and channelId hold no control characters (validIdentity): NUL separates unambiguously.
    createHmac('sha256', key).update(`${owner.userId}\u0000${owner.channelId}\u0000${id}`, 'utf8').digest().subarray(0, TAG_BYTES);
  return {
    tag(owner, id) {
      const signing = keys.get(activeKey(tokenKeys, now()).kid) as Buffer;
      return id + SEPARATOR + mac(signing, owner, id).toString('base64url');
    },
    untag(owner, tagged) {
      if (typeof tagged !== 'string' || tagged.length > MAX_TAGGED_CHARS) return null;
      const match = TAGGED.exec(tagged);
      if (!match) return null;
      const id = match[1] as string;
      const given = Buffer.from(match[2] as string, 'base64url');
      if (given.length !== TAG_BYTES) return null;
      for (const key of keys.values()) if (timingSafeEqual(mac(key, owner, id), given)) return id;
      return null;
    },
  };
}

/** `f` applied to the file id inside a message content of this media type; null: no file id there. */
function mapContent(mediaType: unknown, content: string, f: (id: string) => string | null): string | null | undefined {
  const type = typeof mediaType === 'string' ? mediaType.trim().toUpperCase() : '';
  if (FIRST_PART.has(type)) {
    // "id" or "id,ext".
    const comma = content.indexOf(',');
    const id = comma < 0 ? content : content.slice(0, comma);
    const mapped = f(id);
    return mapped === null ? null : mapped + (comma < 0 ? '' : content.slice(comma));
  }
  if (type === 'FILE') {
    // "name,size,id,ext"; the name may hold commas. Anything else: the whole content is the id.
    const parts = content.split(',');
    if (parts.length < 4) return f(content);
    const at = parts.length - 2;
    const mapped = f(parts[at] as string);
    if (mapped === null) return null;
    parts[at] = mapped;
    return parts.join(',');
  }
  if (type === 'WEBCARD') {
    let card: unknown;
    try {
      card = JSON.parse(content);
    } catch {
      return undefined;
    }
    if (card === null || typeof card !== 'object' || Array.isArray(card)) return undefined;
    const id = (card as Record<string, unknown>)['mediaFileId'];
    if (typeof id !== 'string' || id === '') return undefined;
    const mapped = f(id);
    if (mapped === null) return null;
    return JSON.stringify({ ...(card as Record<string, unknown>), mediaFileId: mapped });
  }
  return undefined;
}

/** The fields a poll downlink and a history message share, as they arrive. */
type DeliveredMessageFields = WireFields<Pick<WireDownlinkMessage, keyof WireDownlinkMessage & keyof WireHistoryMessage>>;

/**
 * Tags the file ids of messages going to a customer (poll `downlinkMessages`, history
 * `messageList`), in place. Returns whether anything changed.
 */
export function tagMessages(messages: unknown, owner: Owner, tagger: FileTagger): boolean {
  if (!Array.isArray(messages)) return false;
  let changed = false;
  for (const message of messages) {
    if (message === null || typeof message !== 'object') continue;
    const m = message as DeliveredMessageFields;
    const content = m['content'];
    if (typeof content !== 'string' || content === '') continue;
    const mapped = mapContent(m['mediaType'], content, (id) => (id === '' ? id : tagger.tag(owner, id)));
    if (typeof mapped === 'string' && mapped !== content) {
      m['content'] = mapped;
      changed = true;
    }
  }
  return changed;
}

/**
 * A send/sendAsync body: the file id in its content must be tagged for the caller; it is
 * replaced by the upstream id, in place. False when it names a file that is not the caller's.
 */
export function untagMessageContent(body: WireFields<SendMessageRequest>, owner: Owner, tagger: FileTagger): boolean {
  const content = Object.hasOwn(body, 'content') ? body['content'] : undefined;
  if (typeof content !== 'string' || content === '') return true;
  const mapped = mapContent(body['mediaType'], content, (id) => tagger.untag(owner, id));
  if (mapped === null) return false;
  if (typeof mapped === 'string') body['content'] = mapped;
  return true;
}

/**
 * A downloadFileStream `fileId` as the browser holds it: `<id>~<tag>`, or `local/<id>~<tag>` for
 * an agent's local file (the client adds the prefix). The upstream id, or null.
 */
export function untagFileId(fileId: unknown, owner: Owner, tagger: FileTagger): string | null {
  if (typeof fileId !== 'string') return null;
  const whole = tagger.untag(owner, fileId);
  if (whole !== null) return whole;
  if (!fileId.startsWith(LOCAL_PREFIX)) return null;
  const inner = tagger.untag(owner, fileId.slice(LOCAL_PREFIX.length));
  return inner === null ? null : LOCAL_PREFIX + inner;
}
