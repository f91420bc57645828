/**
 * Browser helpers the three examples share: who the customer is (the demo server's identity
 * endpoint), and the machine logic bound to a client that talks to the gateway on this origin.
 * Framework-free; each example wires the result into its own adapter (@xstate/react, /vue,
 * /svelte). What to show comes from the package's view module (`chatView`, `connectChat`).
 */
import {
  chatSessionInput,
  chatSessionMachine,
  createAiccClient,
  createChatActors,
  gatewayTokenProvider,
  mimeTypeOf,
  type AiccClient,
  type ChatSessionInput,
  type ChatTiming,
} from 'aicc-chat-machine';

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
  /** Every scenario the simulator has (its table, src/simulator/scenarioPresets.ts). */
  scenarios: readonly string[];
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
  const { client, input } = chatSessionOptionsFor(identity, timing);
  const logic = chatSessionMachine.provide({ actors: createChatActors(client) });
  return { logic, input, client };
}

/**
 * A client that talks to the gateway on this origin and the session's input, for
 * `createChatSession({ client, ...input, snapshot })` (the React example, which shares one
 * session between tabs with `aicc-chat-machine/tabs`).
 */
export function chatSessionOptionsFor(identity: DemoIdentity, timing?: Partial<ChatTiming>): { client: AiccClient; input: ChatSessionInput } {
  const gatewayUrl = new URL(identity.gatewayPath, location.href).href;
  const client = createAiccClient({
    baseUrl: gatewayUrl,
    // Same origin: the demo cookie goes along; the gateway's identify() reads it.
    token: gatewayTokenProvider(gatewayUrl, { credentials: 'same-origin' }),
  });
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
  return { client, input };
}

/** `file.downloaded` bytes → an object URL (revoke it when the message goes away). */
export function objectUrlOf(bytes: Uint8Array, fileType: string): string {
  return URL.createObjectURL(new Blob([bytes.slice()], { type: mimeTypeOf(fileType) }));
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
