/**
 * Browser helpers the three examples share: who the customer is (the demo server's identity
 * endpoint), and the machine logic bound to a client that talks to the gateway on this origin.
 * Framework-free; each example wires the result into its own adapter (@xstate/react, /vue,
 * /svelte).
 */
import {
  chatSessionInput,
  chatSessionMachine,
  createAiccClient,
  createChatActors,
  gatewayTokenProvider,
  type ChatSessionInput,
  type ChatTiming,
  type TranscriptEntry,
} from 'aicc-chat-machine';
import type { StateValue } from 'xstate';

/** What GET /demo/identity answers (see examples/shared/demoServer.ts). */
export interface DemoIdentity {
  userId: string;
  userName: string;
  nickname: string;
  channelId: string;
  locale: string;
  /** Where the gateway is mounted on this origin, e.g. /aicc. */
  gatewayPath: string;
  scenario: string;
}

/**
 * Asks the demo server who we are; it answers with (and sets a cookie for) a demo user id.
 * `?user=<id>` in the page URL picks the id, `?new` starts over as somebody new. A real app
 * knows its customer from its own login instead.
 */
export async function fetchIdentity(search: string = location.search): Promise<DemoIdentity> {
  const page = new URLSearchParams(search);
  const query = new URLSearchParams();
  const user = page.get('user');
  if (user) query.set('user', user);
  if (page.has('new')) query.set('new', '1');
  const response = await fetch(`/demo/identity?${query}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`identity: HTTP ${response.status}`);
  return (await response.json()) as DemoIdentity;
}

/**
 * The machine with its actors bound to a client whose base URL is the gateway and whose token
 * provider asks the gateway's POST /token route. Pass `logic` and `input` to useActor /
 * useActorRef / useMachine.
 */
export function chatLogicFor(identity: DemoIdentity, timing?: Partial<ChatTiming>) {
  const gatewayUrl = new URL(identity.gatewayPath, location.href).href;
  const client = createAiccClient({
    baseUrl: gatewayUrl,
    // Same origin: the demo cookie goes along; the gateway's identify() reads it.
    token: gatewayTokenProvider(gatewayUrl, { credentials: 'same-origin' }),
  });
  const logic = chatSessionMachine.provide({ actors: createChatActors(client) });
  const input: ChatSessionInput = chatSessionInput({
    identity: {
      userId: identity.userId,
      userName: identity.userName,
      channelId: identity.channelId,
      locale: identity.locale,
      nickname: identity.nickname,
    },
    isNeedRead: true,
    ...(timing ? { timing } : {}),
  });
  return { logic, input, client };
}

/** MIME type for a file type the API names (jpg, png, mp4, ...). */
export function mimeOf(fileType: string): string {
  const types: Record<string, string> = {
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    png: 'image/png',
    bmp: 'image/bmp',
    gif: 'image/gif',
    mp4: 'video/mp4',
    mp3: 'audio/mpeg',
    aac: 'audio/aac',
    txt: 'text/plain',
    csv: 'text/csv',
    pdf: 'application/pdf',
  };
  return types[fileType.toLowerCase()] ?? 'application/octet-stream';
}

/** `file.downloaded` bytes → an object URL (revoke it when the message goes away). */
export function objectUrlOf(bytes: Uint8Array, fileType: string): string {
  return URL.createObjectURL(new Blob([bytes.slice()], { type: mimeOf(fileType) }));
}

/** The extension of a picked file, as file.send wants it (lower case, no dot). */
export function fileTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Scripting the simulator from the page (demo only; see demoServer.ts /demo/sim/*). */
export async function simControl(action: string, body: Record<string, unknown> = {}): Promise<{ ok: boolean; error?: string }> {
  const response = await fetch(`/demo/sim/${action}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string };
  return response.ok ? { ok: true } : { ok: false, error: answer.error ?? `HTTP ${response.status}` };
}

/**
 * The state a person would name: the top-level key, or the child of `connected` (queuing,
 * chatting, ending, survey-agent, survey-robot). The parallel regions of `chatting` are left out.
 */
export type Phase =
  | 'auth'
  | 'history'
  | 'connecting'
  | 'connect-retry'
  | 'leave-message'
  | 'queuing'
  | 'chatting'
  | 'ending'
  | 'survey-agent'
  | 'survey-robot'
  | 'disconnecting'
  | 'disconnected';

export function phaseOf(snapshot: { value: StateValue }): Phase {
  const value = snapshot.value;
  if (typeof value === 'string') return value as Phase;
  const [top, child] = Object.entries(value)[0] ?? ['auth', undefined];
  if (top !== 'connected' || child === undefined) return top as Phase;
  return (typeof child === 'string' ? child : Object.keys(child)[0]) as Phase;
}

/** One transcript entry as a line of text (the Vue and Svelte examples show text only). */
export interface Line {
  key: string;
  from: string;
  text: string;
  kind: 'mine' | 'theirs' | 'system';
}

export function lineOf(entry: TranscriptEntry): Line {
  const key = entry.key;
  if (entry.kind === 'outgoing') {
    const text = entry.text ?? `[file ${entry.file?.name ?? ''}]`;
    return { key, from: 'You', text: entry.status === 'sent' ? text : `${text} (${entry.status})`, kind: 'mine' };
  }
  if (entry.kind === 'gap') return { key, from: '', text: 'Some messages could not be loaded.', kind: 'system' };
  if (entry.kind === 'history') {
    return { key, from: entry.message.senderNickname ?? 'Earlier', text: entry.message.content ?? '', kind: 'theirs' };
  }
  const message = entry.message;
  if (message.controlType === 'DISCONNECT') return { key, from: '', text: 'The chat was closed.', kind: 'system' };
  if (message.controlType !== 'CHAT') return { key, from: '', text: message.content ?? message.controlType, kind: 'system' };
  const text = message.content.mediaType === 'TEXT' ? message.content.text : `[${message.content.mediaType.toLowerCase()}]`;
  if (message.sourceType === 'SYSTEM') return { key, from: '', text, kind: 'system' };
  return { key, from: message.senderNickname ?? message.sourceType, text, kind: 'theirs' };
}
