/**
 * `aicc-chat-machine/transport-node`: requests on `node:http` / `node:https` through keep-alive
 * agents of the transport's own — for Node back ends that run many sessions (load generators,
 * bridges serving many customers). No axios on the way: about half the CPU per long poll.
 *
 *   import { nodeTransport } from 'aicc-chat-machine/transport-node';
 *   const transport = nodeTransport();              // one per process, shared by every client
 *   createAiccClient({ baseUrl, token, transport });
 *
 * Same behaviour as the other transports (see http.ts): one deadline for the whole exchange,
 * the caller's AbortSignal, no redirects followed, `maxResponseBytes` enforced while reading.
 *
 * @module transport-node
 */
import { Agent as HttpAgent, request as httpRequest, type AgentOptions, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { agentPool, type AgentPool } from './agentPool.js';
import { writeCounted } from './countedWrite.js';
import { joinAbortGroup, leaveAbortGroup, type Stoppable } from './abortGroup.js';
import { applyTarget } from './target.js';
import { networkFailure, TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from '../http.js';

export type { HttpRequest, HttpResponse, HttpTransport } from '../http.js';

export interface NodeTransportOptions {
  /** Agent for every `http:` request. Default: keep-alive agents of this transport's own. */
  httpAgent?: HttpAgent;
  /** Agent for every `https:` request (TLS options such as `ca` go here). Default: keep-alive agents of this transport's own. */
  httpsAgent?: HttpsAgent;
  /**
   * Options for the default agents (`keepAlive` is always true): `maxSockets`, `keepAliveMsecs`,
   * `maxFreeSockets`... A `maxSockets` or `maxTotalSockets` makes the transport use one agent
   * per protocol, so the limit holds for the whole transport.
   */
  agentOptions?: AgentOptions;
  /**
   * Requests in flight per default agent before the next request goes to another one (made when
   * first needed). Node's agent pays O(its sockets in use) whenever a request ends, so thousands
   * of open long polls on one agent make every request slower. Default 256.
   */
  requestsPerAgent?: number;
}

export interface NodeTransport extends HttpTransport {
  readonly name: 'node';
  /** The agents `http:` requests went through so far: the one passed in, or the transport's own (a live view). */
  readonly httpAgents: readonly HttpAgent[];
  /** The same for `https:`. */
  readonly httpsAgents: readonly HttpsAgent[];
  /** Closes the sockets of the agents this transport made (not those passed in). Requests in flight fail. */
  destroy(): void;
}

// Sent like axios does, so the server side sees the same kind of request whatever the transport.
const ACCEPT = 'application/json, text/plain, */*';
const DEFAULT_REQUESTS_PER_AGENT = 256;

/** A transport on node:http / node:https. Create one and share it: its agents pool the connections. */
export function nodeTransport(options: NodeTransportOptions = {}): NodeTransport {
  const agentOptions: AgentOptions = { ...options.agentOptions, keepAlive: true };
  // A socket limit is the transport's: spreading requests over agents would multiply it.
  const limited = agentOptions.maxSockets !== undefined || agentOptions.maxTotalSockets !== undefined;
  const perAgent = limited ? Infinity : (options.requestsPerAgent ?? DEFAULT_REQUESTS_PER_AGENT);
  const given = <A extends HttpAgent>(agent: A | undefined) => agent && agentPool(() => agent, Infinity);
  const http = given(options.httpAgent) ?? agentPool(() => new HttpAgent(agentOptions), perAgent);
  const https = given(options.httpsAgent) ?? agentPool(() => new HttpsAgent(agentOptions), perAgent);
  return {
    name: 'node',
    httpAgents: http.agents,
    httpsAgents: https.agents,
    request: (request) => (request.url.startsWith('https:') ? exchange(request, https, httpsRequest) : exchange(request, http, httpRequest)),
    destroy() {
      if (!options.httpAgent) for (const agent of http.agents) agent.destroy();
      if (!options.httpsAgent) for (const agent of https.agents) agent.destroy();
    },
  };
}

/** The exchange a request belongs to, kept on the request so its listeners can be shared functions. */
const EXCHANGE = Symbol('exchange');
type ExchangeRequest = ClientRequest & { [EXCHANGE]?: Exchange };

/**
 * One request's state, as one object with shared listeners rather than a closure per event: a
 * long poll keeps all of it for its whole window (what lives that long is promoted, then swept
 * by the major GC), and six closures and two contexts per poll were a good share of that
 * (docs/performance.md, "What the profiles showed").
 */
class Exchange implements Stoppable {
  done = false;
  req: ExchangeRequest | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The requests under this exchange's signal, this one among them (abortGroup.ts). */
  stops: Set<Stoppable> | undefined = undefined;

  constructor(
    readonly pool: AgentPool<HttpAgent>,
    readonly slot: number,
    readonly max: number | undefined,
    readonly resolve: (response: HttpResponse) => void,
    readonly reject: (error: TransportError) => void,
  ) {}

  settle(error: TransportError | undefined, response?: HttpResponse): void {
    if (this.done) return;
    this.done = true;
    this.pool.release(this.slot);
    clearTimeout(this.timer);
    leaveAbortGroup(this);
    if (error) this.reject(error);
    else this.resolve(response!);
  }

  /** Ends the exchange from our side: the socket goes (a late answer must not be read as another's). */
  stop(reason: 'aborted' | 'timeout' | 'too-large'): void {
    this.settle(new TransportError(reason));
    this.req!.destroy();
  }
}

function exchange(request: HttpRequest, pool: AgentPool<HttpAgent>, send: typeof httpRequest): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const { signal, body } = request;
    if (signal?.aborted) {
      reject(new TransportError('aborted'));
      return;
    }
    const headers: Record<string, string | number> = Object.assign({ accept: ACCEPT }, request.headers);
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const slot = pool.acquire();
    const options: RequestOptions = { method: request.method, headers, agent: pool.agents[slot] };
    let req: ExchangeRequest;
    try {
      req = applyTarget(options, request.url) ? send(options) : send(request.url, options);
    } catch (error) {
      // A URL or header Node refuses: nothing was sent.
      pool.release(slot);
      reject(new TransportError('not-sent', (error as { code?: string }).code));
      return;
    }
    const ex = new Exchange(pool, slot, request.maxResponseBytes, resolve, reject);
    ex.req = req;
    req[EXCHANGE] = ex;
    ex.timer = setTimeout(onDeadline, request.timeoutMs, ex);
    if (signal) joinAbortGroup(signal, ex);
    req.on('error', onRequestError);
    req.on('response', onResponse);
    if (request.onUploadProgress && body !== undefined) writeCounted(req, Buffer.from(body), request.onUploadProgress, () => req.end());
    else req.end(body);
  });
}

function onDeadline(ex: Exchange): void {
  ex.stop('timeout');
}

function onRequestError(this: ExchangeRequest, error: Error & { code?: string; errors?: { code?: string }[] }): void {
  // Happy eyeballs (autoSelectFamily) reports a refusal on every address as an AggregateError.
  this[EXCHANGE]!.settle(networkFailure(error.code ?? error.errors?.[0]?.code));
}

function onResponse(this: ExchangeRequest, res: IncomingMessage): void {
  const ex = this[EXCHANGE]!;
  const max = ex.max;
  if (max !== undefined && Number(res.headers['content-length']) > max) {
    ex.stop('too-large');
    return;
  }
  // The answer's own listeners live only while it is read: closures are fine here.
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (max !== undefined && size > max) ex.stop('too-large');
    else chunks.push(chunk);
  });
  res.on('end', () => {
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    ex.settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: text });
  });
  // Cut off mid-answer: 'error' (ECONNRESET, "aborted"), or only 'close' before 'end'.
  res.on('error', (error: Error & { code?: string }) => ex.settle(networkFailure(error.code ?? 'ECONNRESET')));
  res.on('close', () => {
    if (!res.complete) ex.settle(networkFailure('ECONNRESET'));
  });
}
