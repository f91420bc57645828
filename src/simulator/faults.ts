/**
 * Fault injection. Two sources feed the server: one-shot faults (`sim.faults.next`), consumed in
 * order by the next matching request(s), and a seeded plan (`sim.faults.plan`) that decides for
 * every request on its own from hash(seed, userId, api, n) — so one seed hits the same requests
 * of the same sessions however many sessions run side by side and however they interleave.
 */
import type { ApiName } from '../client/protocol.js';
import { PLANNED_FAULTS, type Fault, type FaultKind, type FaultPlan, type FaultRates, type FaultStats, type PlannedFault } from './types.js';

export function faultKind(fault: Fault): FaultKind {
  if ('status' in fault) return 'status';
  if ('reset' in fault) return 'reset';
  if ('delayMs' in fault) return 'delay';
  if ('reorder' in fault) return 'reorder';
  return 'duplicate-delivery';
}

/** FNV-1a over the parts, then a murmur-style finaliser: a well-mixed 32-bit seed. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join('\u0001');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
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

export interface PlannedDecision {
  type: PlannedFault;
  /** Continues the request's own random stream (status code choice, shuffle). */
  random: () => number;
}

export class FaultQueue {
  private readonly queues = new Map<ApiName, Fault[]>();
  private plan: FaultPlan | null = null;
  private readonly counters = new Map<string, number>();
  private readonly oneShot: Partial<Record<FaultKind, number>> = {};
  private readonly planned: Partial<Record<PlannedFault, number>> = {};
  private readonly byApi: Partial<Record<ApiName, Partial<Record<PlannedFault, number>>>> = {};
  private givenBack = 0;

  next(api: ApiName, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error('faults.next: times must be a positive integer');
    validateFault(fault);
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
    this.plan = plan === null ? null : { ...plan, rates: { ...plan.rates } };
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

  /** The planned fault for this request of this user, if the plan picks one. */
  decide(api: ApiName, userId: string | undefined): PlannedDecision | undefined {
    const plan = this.plan;
    if (!plan || !userId || (plan.users && !plan.users(userId))) return undefined;
    const counterKey = `${userId}\u0001${api}`;
    const n = this.counters.get(counterKey) ?? 0;
    this.counters.set(counterKey, n + 1);
    if (n < (plan.skipFirst ?? 0)) return undefined;
    const rates: FaultRates = plan.apis?.[api] ?? plan.rates;
    const random = seededRandom(hashSeed(plan.seed, userId, api, n));
    const r = random();
    let cumulative = 0;
    for (const type of PLANNED_FAULTS) {
      const rate = rates[type] ?? 0;
      if (rate <= 0) continue;
      cumulative += rate;
      if (r < cumulative) {
        if (POLL_ONLY.has(type) && api !== 'poll') return undefined;
        this.planned[type] = (this.planned[type] ?? 0) + 1;
        const apiStats = (this.byApi[api] ??= {});
        apiStats[type] = (apiStats[type] ?? 0) + 1;
        return { type, random };
      }
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
    return { oneShot: { ...this.oneShot }, planned: { ...this.planned }, byApi, batchesGivenBack: this.givenBack };
  }

  clear(): void {
    this.queues.clear();
    this.plan = null;
    this.counters.clear();
  }
}

function validateFault(fault: Fault): void {
  if ('status' in fault) {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new Error('faults.next: status must be an HTTP status code (100..599)');
    }
    if (fault.raw !== undefined && typeof fault.raw !== 'string') throw new Error('faults.next: raw must be a string');
  } else if ('delayMs' in fault) {
    if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0) throw new Error('faults.next: delayMs must be >= 0');
  } else if (!('reset' in fault) && !('duplicateDelivery' in fault) && !('reorder' in fault)) {
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

function validatePlan(plan: FaultPlan): void {
  if (!Number.isFinite(plan.seed)) throw new Error('faults.plan: seed must be a number');
  validateRates(plan.rates ?? {}, '');
  for (const [api, rates] of Object.entries(plan.apis ?? {})) validateRates(rates ?? {}, ` (${api})`);
  for (const name of ['slowMs', 'delayMs', 'skipFirst'] as const) {
    const value = plan[name];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) throw new Error(`faults.plan: ${name} must be >= 0`);
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
