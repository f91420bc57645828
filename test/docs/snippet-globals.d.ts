/**
 * Placeholders the documentation's code blocks use for the host application's own values and
 * functions (who the customer is, how you render). Declared, never implemented.
 */
declare const userId: string;
declare const channelId: string;
declare const client: import('../../src/client/types.js').AiccClient;
declare const identity: import('../../machines/chatSession.types.js').ChatIdentity;
declare function render(...args: unknown[]): void;
declare function show(key: string, bytes: Uint8Array): void;
declare function fetchTokenFromMyServer(): Promise<string>;
declare const sim: import('../../src/simulator/index.js').Simulator;
declare const gateway: import('../../src/gateway/index.js').Gateway;
declare const options: import('../../src/gateway/index.js').GatewayOptions;

// The host's own services in the gateway examples.
declare const sessions: { fromCookie(cookie: string | undefined): Promise<{ id: string; name: string } | null> };
declare const pino: Record<'debug' | 'info' | 'warn' | 'error', (entry: object) => void>;
declare const redis: { multi(): { incr(key: string): { pexpire(key: string, ms: number): { exec(): Promise<[unknown, number][]> } } } };

// Just enough of Express and Fastify (not dependencies) to check the gateway's side of the mount.
type NodeHandler = (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
  next: (error?: unknown) => void,
) => unknown;
declare const app: { use(path: string, handler: NodeHandler): void };
interface FastifyLike {
  register(plugin: (instance: FastifyLike) => Promise<void>): void;
  removeAllContentTypeParsers(): void;
  addContentTypeParser(type: string, parser: (req: unknown, payload: unknown, done: (error: null) => void) => void): void;
  all(
    path: string,
    handler: (
      req: { raw: import('node:http').IncomingMessage },
      reply: { raw: import('node:http').ServerResponse; hijack(): void },
    ) => unknown,
  ): void;
}
declare const fastify: FastifyLike;
