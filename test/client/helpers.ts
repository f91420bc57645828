/** Shared set-up for client tests: a simulator and a client wired to it the way a server would. */
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { akSkGatewayHeaders, applyTokenProvider, createAiccClient } from '../../src/client/index.js';
import type { AiccClient, AiccClientOptions, HttpTransport, TokenRequestReason } from '../../src/client/index.js';
import { fetchTransport } from '../../src/client/transports/fetch.js';
import { nodeTransport } from '../../src/client/transports/node.js';
import { netTransport } from '../../src/client/transports/net.js';

export const FAST_TIMING = {
  longPollWindowMs: 150,
  robotReplyDelayMs: 5,
  agentReplyDelayMs: 5,
  queueAdvanceMs: 0,
} as const;

export async function fastSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ ...options, timing: { ...FAST_TIMING, ...options.timing } });
}

/** A fast simulator for the length of `run`, closed afterwards whatever happens. */
export async function withSimulator<T>(options: SimulatorOptions, run: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await fastSimulator(options);
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

let userCounter = 0;
export function newUserId(): string {
  userCounter += 1;
  return `u${process.pid % 1000}-${userCounter}-${Math.floor(Math.random() * 1e6)}`;
}

export interface ClientRig {
  client: AiccClient;
  userId: string;
  /** Reasons the token provider was asked for, in order. */
  tokenRequests: TokenRequestReason[];
  /** Tokens the provider handed out, in order. */
  issuedTokens: string[];
}

/**
 * A client for one user, with AK/SK gateway headers and applyToken as its token provider. The
 * clients behind those providers use the same `transport` as the rig's client.
 */
export function clientFor(sim: Simulator, overrides: Partial<AiccClientOptions> = {}, userId = newUserId()): ClientRig {
  const via = overrides.transport ? { transport: overrides.transport } : {};
  const gatewayHeaders = akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials, client: createAiccClient({ baseUrl: sim.url, ...via }) });
  const tokenClient = createAiccClient({ baseUrl: sim.url, gatewayHeaders, ...via });
  const provider = applyTokenProvider(tokenClient, { userId, userName: 'Test User', channelId: sim.channelId, locale: 'en_US' });
  const tokenRequests: TokenRequestReason[] = [];
  const issuedTokens: string[] = [];
  const client = createAiccClient({
    baseUrl: sim.url,
    gatewayHeaders,
    token: async (request) => {
      tokenRequests.push(request.reason);
      const token = await provider(request);
      issuedTokens.push(token);
      return token;
    },
    longPollWindowMs: FAST_TIMING.longPollWindowMs,
    ...overrides,
  });
  return { client, userId, tokenRequests, issuedTokens };
}

export function connectInput(sim: Simulator, userId: string) {
  return { controlType: 'CONNECT' as const, from: userId, to: sim.channelId, senderNickname: 'Test User' };
}

export function chatInput(sim: Simulator, userId: string, text: string) {
  return { controlType: 'CHAT' as const, mediaType: 'TEXT' as const, content: text, from: userId, to: sim.channelId };
}

/**
 * The client suites run once per transport (describe.each over TRANSPORTS): every assertion
 * holds for axios (the default, no `transport` option), node:http and fetch alike. Each entry
 * brings `createAiccClient` and `clientFor` bound to its transport; a suite destructures them
 * so its tests read as they always did. One node transport per test file (its keep-alive agent
 * is shared, as a back end would share it); `closeTransports()` in afterAll releases its sockets.
 */
export interface TransportCase {
  name: 'axios' | 'node' | 'fetch' | 'net';
  /** The transport passed to every client; undefined for axios, the default. */
  transport: HttpTransport | undefined;
  createAiccClient: typeof createAiccClient;
  clientFor: typeof clientFor;
}

const node = nodeTransport();
const net = netTransport();

function transportCase(name: TransportCase['name'], transport: HttpTransport | undefined): TransportCase {
  const via = transport ? { transport } : {};
  return {
    name,
    transport,
    createAiccClient: (options) => createAiccClient({ ...via, ...options }),
    clientFor: (sim, overrides = {}, userId) => clientFor(sim, { ...via, ...overrides }, userId),
  };
}

export const TRANSPORTS: readonly TransportCase[] = [transportCase('axios', undefined), transportCase('node', node), transportCase('fetch', fetchTransport()), transportCase('net', net)];

/** Closes the node transport's pooled sockets (afterAll of a file that used TRANSPORTS). */
export function closeTransports(): void {
  node.destroy();
  net.destroy();
}
