/**
 * Where an actor finds its client: one fixed AiccClient, or a lookup by the actor system the
 * actor runs in. The lookup lets ONE provided machine serve every session of a process
 * (createChatSession maps each session's system to its client) instead of one
 * `machine.provide(...)` per session, which builds a whole state-node tree each time (~80 KB of
 * heap and ~0.6 ms; docs/performance.md).
 */
import type { ActorSystem, ActorSystemInfo } from 'xstate';
import type { AiccClient } from '../client/types.js';

/** The actor system a session's actors run in (children share their parent's). */
export type SessionSystem = ActorSystem<ActorSystemInfo>;

export type ClientSource = AiccClient | ((system: SessionSystem) => AiccClient);

export function clientOf(source: ClientSource, system: SessionSystem): AiccClient {
  return typeof source === 'function' ? source(system) : source;
}
