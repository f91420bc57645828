/**
 * One-shot faults, consumed in order by the next matching request(s). Kept behind a tiny
 * interface so a seeded random source can feed the same queue later.
 */
import type { ApiName } from '../client/protocol.js';
import type { Fault, FaultKind } from './types.js';

export function faultKind(fault: Fault): FaultKind {
  if ('status' in fault) return 'status';
  if ('reset' in fault) return 'reset';
  if ('delayMs' in fault) return 'delay';
  return 'duplicate-delivery';
}

export class FaultQueue {
  private readonly queues = new Map<ApiName, Fault[]>();

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
    return fault;
  }

  clear(): void {
    this.queues.clear();
  }
}

function validateFault(fault: Fault): void {
  if ('status' in fault) {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new Error('faults.next: status must be an HTTP status code (100..599)');
    }
  } else if ('delayMs' in fault) {
    if (!Number.isFinite(fault.delayMs) || fault.delayMs < 0) throw new Error('faults.next: delayMs must be >= 0');
  } else if (!('reset' in fault) && !('duplicateDelivery' in fault)) {
    throw new Error('faults.next: unknown fault');
  }
}
