/**
 * Fault injection. Two sources feed the server: one-shot faults (`sim.faults.next`), consumed in
 * order by the next matching request(s), and a seeded plan (`sim.faults.plan`) that decides for
 * every request on its own from hash(seed, key, api, n) — key being the request's user, or for
 * tokenByAkSk (no user) its app key — so one seed hits the same requests of the same sessions
 * however many sessions run side by side and however they interleave. Bursts of a plan swap in
 * other rates for a time window (simulator clock).
 */
import { API_PATHS, type ApiName } from '../client/protocol.js';
import {
  PLANNED_FAULTS,
  type Fault,
  type FaultBurst,
  type FaultBurstStats,
  type FaultKind,
  type FaultPlan,
  type FaultRates,
  type FaultStats,
  type PlannedFault,
} from './types.js';
import { fnv1a32 } from '../client/hash.js';

export function faultKind(fault: Fault): FaultKind {
  if ('status' in fault) return 'status';
  if ('reset' in fault) return 'reset';
  if ('delayMs' in fault) return 'delay';
  if ('reorder' in fault) return 'reorder';
  if ('rateLimited' in fault) return 'rate-limited';
  if ('ipForbidden' in fault) return 'ip-forbidden';
  if ('flowControl' in fault) return 'flow-control';
  return 'duplicate-delivery';
}

/** FNV-1a over the parts, then a murmur-style finaliser: a well-mixed 32-bit seed. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = fnv1a32(parts.join('\u0001'));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Faults that only mean something for poll. */
const POLL_ONLY: ReadonlySet<PlannedFault> = new Set(['duplicate-delivery', 'reorder']);

/**
 * The APIs documenting resultCode "10010000002" (rate-limited, flow control): only
 * feedbacksatisfaction. Its 11-digit codes belong to the robot module behind `/v1/robot/`; no
 * other API lists them, so the simulator does not answer it anywhere else.
 */
export const FLOW_CONTROL_APIS: ReadonlySet<ApiName> = new Set<ApiName>(['feedbackSatisfaction']);

/** Faults acting on a user's token or session: meaningless for a request without a user. */
const USER_ONLY: ReadonlySet<PlannedFault> = new Set(['token-rotation', 'unauthorized', 'session-release', 'duplicate-delivery', 'reorder']);

/** The one API planned without a user (keyed by its app key): the tenant's AccessToken. */
const TENANT_APIS: ReadonlySet<ApiName> = new Set<ApiName>(['tokenByAkSk']);

/** Who a request counts against in a plan: its user, or (tokenByAkSk) the app key. */
export type PlanSubject = string | { appKey: string };

export interface PlannedDecision {
  type: PlannedFault;
  /** Continues the request's own random stream (status code choice, shuffle). */
  random: () => number;
  /** The burst whose rates decided, if any. */
  burst?: string;
}

export class FaultQueue {
  private readonly queues = new Map<ApiName, Fault[]>();
  private plan: FaultPlan | null = null;
  /** When the plan was set (simulator clock): bursts count from here. */
  private planSetAt = 0;
  private readonly counters = new Map<string, number>();
  private readonly oneShot: Partial<Record<FaultKind, number>> = {};
  private readonly planned: Partial<Record<PlannedFault, number>> = {};
  private readonly byApi: Partial<Record<ApiName, Partial<Record<PlannedFault, number>>>> = {};
  private readonly byBurst: Record<string, FaultBurstStats> = {};
  private givenBack = 0;

  /** `now`: the simulator's clock (bursts are windows on it). */
  constructor(private readonly now: () => number = Date.now) {}

  next(api: ApiName, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error('faults.next: times must be a positive integer');
    if (!Object.hasOwn(API_PATHS, api)) throw new Error(`faults.next: unknown API "${String(api)}"`);
    validateFault(fault);
    if ('flowControl' in fault && !FLOW_CONTROL_APIS.has(api)) {
      throw new Error(
        `faults.next: flowControl (resultCode 10010000002) is documented for feedbackSatisfaction only; use { status: 200, body } to answer it from ${api}`,
      );
    }
    const queue = this.queues.get(api) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(fault);
    this.queues.set(api, queue);
  }

  /** The fault for this request, if any (removed from the queue). */
  take(api: ApiName): Fault | undefined {
    const queue = this.queues.get(api);
    const fault = queue?.shift();
    if (queue && queue.length === 0) this.queues.delete(api);
    if (fault) this.oneShot[faultKind(fault)] = (this.oneShot[faultKind(fault)] ?? 0) + 1;
    return fault;
  }

  setPlan(plan: FaultPlan | null): void {
    if (plan !== null) validatePlan(plan);
    this.plan =
      plan === null
        ? null
        : { ...plan, rates: { ...plan.rates }, ...(plan.bursts ? { bursts: plan.bursts.map((b) => ({ ...b, rates: { ...b.rates } })) } : {}) };
    this.planSetAt = this.now();
    this.counters.clear();
  }

  get hasPlan(): boolean {
    return this.plan !== null;
  }

  get slowMs(): number {
    return this.plan?.slowMs ?? 20_000;
  }

  get delayMs(): number {
    return this.plan?.delayMs ?? 20;
  }

  /** `Retry-After` of a planned `rate-limited` (null: none). */
  get retryAfterSeconds(): number | null {
    const value = this.plan?.retryAfterSeconds;
    return value === undefined ? 1 : value;
  }

  /**
   * The planned fault for this request, if the plan picks one. `subject` is the user id, or for
   * tokenByAkSk `{ appKey }` (undefined: nobody to key it by, never planned).
   */
  decide(api: ApiName, subject: PlanSubject | undefined): PlannedDecision | undefined {
    const plan = this.plan;
    if (!plan || subject === undefined) return undefined;
    const tenant = typeof subject !== 'string';
    if (tenant && !TENANT_APIS.has(api)) return undefined;
    const key = tenant ? subject.appKey : subject;
    if (key === '' || (!tenant && plan.users && !plan.users(key))) return undefined;
    const counterKey = `${key}\u0001${api}`;
    const n = this.counters.get(counterKey) ?? 0;
    this.counters.set(counterKey, n + 1);
    if (n < (plan.skipFirst ?? 0)) return undefined;

    const burst = this.burstAt(plan, api, tenant);
    const rates: FaultRates | undefined = burst ? burst.burst.rates : tenant ? plan.apis?.[api] : (plan.apis?.[api] ?? plan.rates);
    if (burst) (this.byBurst[burst.name] ??= { requests: 0, planned: {} }).requests += 1;
    if (!rates) return undefined;
    const random = seededRandom(hashSeed(plan.seed, key, api, n));
    const r = random();
    let cumulative = 0;
    for (const type of PLANNED_FAULTS) {
      const rate = rates[type] ?? 0;
      if (rate <= 0) continue;
      cumulative += rate;
      if (r < cumulative) {
        if (!applies(type, api, tenant)) return undefined;
        this.planned[type] = (this.planned[type] ?? 0) + 1;
        const apiStats = (this.byApi[api] ??= {});
        apiStats[type] = (apiStats[type] ?? 0) + 1;
        if (!burst) return { type, random };
        const burstStats = (this.byBurst[burst.name] as FaultBurstStats).planned;
        burstStats[type] = (burstStats[type] ?? 0) + 1;
        return { type, random, burst: burst.name };
      }
    }
    return undefined;
  }

  /** The first burst of the plan open now that covers this API. */
  private burstAt(plan: FaultPlan, api: ApiName, tenant: boolean): { burst: FaultBurst; name: string } | undefined {
    if (!plan.bursts || plan.bursts.length === 0) return undefined;
    const elapsed = this.now() - this.planSetAt;
    for (let i = 0; i < plan.bursts.length; i++) {
      const burst = plan.bursts[i] as FaultBurst;
      if (elapsed < burst.startMs || elapsed >= burst.startMs + burst.durationMs) continue;
      if (burst.apis ? !burst.apis.includes(api) : tenant) continue;
      return { burst, name: burstName(burst, i) };
    }
    return undefined;
  }

  countGivenBack(): void {
    this.givenBack += 1;
  }

  stats(): FaultStats {
    const byApi: FaultStats['byApi'] = {};
    for (const [api, counts] of Object.entries(this.byApi) as [ApiName, Partial<Record<PlannedFault, number>>][]) {
      byApi[api] = { ...counts };
    }
    const bursts: FaultStats['bursts'] = {};
    for (const [name, entry] of Object.entries(this.byBurst)) bursts[name] = { requests: entry.requests, planned: { ...entry.planned } };
    return { oneShot: { ...this.oneShot }, planned: { ...this.planned }, byApi, bursts, batchesGivenBack: this.givenBack };
  }

  clear(): void {
    this.queues.clear();
    this.plan = null;
    this.counters.clear();
  }
}

/** Whether a drawn fault means something for this request (otherwise the request is spared). */
function applies(type: PlannedFault, api: ApiName, tenant: boolean): boolean {
  if (POLL_ONLY.has(type) && api !== 'poll') return false;
  if (type === 'flow-control' && !FLOW_CONTROL_APIS.has(api)) return false;
  return !(tenant && USER_ONLY.has(type));
}

function burstName(burst: FaultBurst, index: number): string {
  return burst.name ?? `burst-${index}`;
}

function validRetryAfter(value: unknown): boolean {
  return value === null || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
}

function validateFault(fault: Fault): void {
  if (fault === null || typeof fault !== 'object') throw new Error('faults.next: unknown fault');
  if ('status' in fault) {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new Error('faults.next: status must be an HTTP status code (100..599)');
    }
    if (fault.raw !== undefined && typeof fault.raw !== 'string') throw new Error('faults.next: raw must be a string');
    if (fault.headers !== undefined) {
      if (fault.headers === null || typeof fault.headers !== 'object') throw new Error('faults.next: headers must be an object');
      for (const [name, value] of Object.entries(fault.headers)) {
        if (typeof value !== 'string') throw new Error(`faults.next: header ${name} must be a string`);
      }
    }
  } else if ('delayMs' in fault) {
    if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0) throw new Error('faults.next: delayMs must be >= 0');
  } else if ('rateLimited' in fault) {
    if (fault.retryAfterSeconds !== undefined && !validRetryAfter(fault.retryAfterSeconds)) {
      throw new Error('faults.next: retryAfterSeconds must be an integer >= 0 or null');
    }
  } else if (!('reset' in fault) && !('duplicateDelivery' in fault) && !('reorder' in fault) && !('ipForbidden' in fault) && !('flowControl' in fault)) {
    throw new Error('faults.next: unknown fault');
  }
}

function validateRates(rates: FaultRates, where: string): void {
  let sum = 0;
  for (const [type, rate] of Object.entries(rates)) {
    if (!(PLANNED_FAULTS as readonly string[]).includes(type)) throw new Error(`faults.plan: unknown fault type "${type}"${where}`);
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new Error(`faults.plan: rate of ${type}${where} must be within 0..1`);
    }
    sum += rate;
  }
  if (sum > 1 + 1e-9) throw new Error(`faults.plan: rates${where} add up to more than 1`);
}

function validateApi(api: unknown, where: string): void {
  if (typeof api !== 'string' || !Object.hasOwn(API_PATHS, api)) throw new Error(`faults.plan: unknown API "${String(api)}"${where}`);
}

function validateBurst(burst: FaultBurst, index: number, names: Set<string>): void {
  const where = ` (bursts[${index}])`;
  if (burst === null || typeof burst !== 'object') throw new Error(`faults.plan: a burst must be an object${where}`);
  for (const name of ['startMs', 'durationMs'] as const) {
    const value = burst[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`faults.plan: ${name}${where} must be a number >= 0`);
  }
  if (burst.name !== undefined && (typeof burst.name !== 'string' || burst.name === '')) throw new Error(`faults.plan: name${where} must be a non-empty string`);
  const name = burstName(burst, index);
  if (names.has(name)) throw new Error(`faults.plan: burst name "${name}" is used twice`);
  names.add(name);
  if (burst.apis !== undefined) {
    if (!Array.isArray(burst.apis) || burst.apis.length === 0) throw new Error(`faults.plan: apis${where} must be a non-empty array of API names`);
    for (const api of burst.apis) validateApi(api, where);
  }
  if (burst.rates === null || typeof burst.rates !== 'object') throw new Error(`faults.plan: rates${where} must be an object`);
  validateRates(burst.rates, where);
}

function validatePlan(plan: FaultPlan): void {
  if (!Number.isFinite(plan.seed)) throw new Error('faults.plan: seed must be a number');
  validateRates(plan.rates ?? {}, '');
  for (const [api, rates] of Object.entries(plan.apis ?? {})) {
    validateApi(api, '');
    validateRates(rates ?? {}, ` (${api})`);
  }
  for (const name of ['slowMs', 'delayMs', 'skipFirst'] as const) {
    const value = plan[name];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new Error(`faults.plan: ${name} must be >= 0`);
  }
  if (plan.retryAfterSeconds !== undefined && !validRetryAfter(plan.retryAfterSeconds)) {
    throw new Error('faults.plan: retryAfterSeconds must be an integer >= 0 or null');
  }
  if (plan.bursts !== undefined) {
    if (!Array.isArray(plan.bursts)) throw new Error('faults.plan: bursts must be an array');
    const names = new Set<string>();
    plan.bursts.forEach((burst, i) => validateBurst(burst, i, names));
  }
}

/** Shuffles a copy with the given random stream; a batch of two or more always changes order. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  if (out.length >= 2 && out.every((item, i) => item === items[i])) {
    [out[0], out[1]] = [out[1] as T, out[0] as T];
  }
  return out;
}
