/**
 * What the adapter tests (aicc-chat-machine/vue, /svelte) share: a customer's session options
 * against the simulator, and what the simulator saw of that customer.
 */
import { expect } from 'vitest';
import type { UseChatSessionOptions } from '../../src/adapters/shared.js';
import { createChatSession, type ChatApi, type ChatSessionActor } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, newUserId, type ClientRig } from '../client/helpers.js';
import { TEST_TIMING } from '../integration/harness.js';

export interface Customer extends ClientRig {
  /** `createChatSession`'s options for this customer (one client, test timing). */
  options: UseChatSessionOptions;
}

export function customerOf(sim: Simulator, rig: ClientRig = clientFor(sim, {}, newUserId())): Customer {
  return {
    ...rig,
    options: { client: rig.client, identity: { userId: rig.userId, userName: 'Ada', channelId: sim.channelId, locale: 'en_US' }, timing: TEST_TIMING },
  };
}

/** A `createSession` factory for the customer that counts the sessions it creates. */
export function countedFactory(customer: Customer): { createSession: () => ChatSessionActor; created: () => number } {
  let created = 0;
  return {
    createSession: () => {
      created += 1;
      return createChatSession(customer.options);
    },
    created: () => created,
  };
}

export function connectsOf(sim: Simulator, userId: string): number {
  return sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT').length;
}

/** The robot said something containing `text` (its greeting comes by poll). */
export function robotSaid(chat: ChatApi | undefined, text = ''): boolean {
  return chat?.transcript.some((entry) => entry.kind === 'message' && entry.from === 'robot' && entry.text.includes(text)) ?? false;
}

/** Resolves once every microtask queued so far (and those they queue) has run. */
export function afterMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * After a stop: the customer's polls all ended (the open long poll was aborted) and no
 * violation. Call it once a poll has answered (the robot spoke): before, none may have arrived.
 */
export async function expectStoppedCleanly(sim: Simulator, userId: string): Promise<void> {
  await expect.poll(() => sim.requestsFor('poll', userId).filter((r) => r.endedAt === undefined).length).toBe(0);
  expect(sim.requestsFor('poll', userId).length).toBeGreaterThan(0);
  expect(sim.violations.filter((v) => v.userId === userId)).toEqual([]);
}
