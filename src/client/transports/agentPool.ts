/**
 * Keep-alive agents for one protocol, each lent to at most `perAgent` requests at a time.
 *
 * Why more than one: Node's `Agent` keeps the sockets it has lent out in one array per host and
 * takes a socket out of it with `indexOf` + `splice` whenever a request ends (`removeSocket`),
 * so every request costs O(sockets in use for that host). A back end with 10 000 sessions holds
 * 10 000 long polls on one host: that search was 6.6 % of the scale worker's CPU
 * (docs/performance.md). Bounding each agent's share bounds the search.
 *
 * Requests go to the first agent with room, so a process with fewer than `perAgent` requests in
 * flight uses one agent and all of its kept-alive connections, as a single agent would; one with
 * more spreads them over ceil(in flight / perAgent) agents, each made when first needed.
 */
export interface AgentPool<A> {
  /** The agents made so far, in the order requests fill them (a live view). */
  readonly agents: readonly A[];
  /** The slot of an agent with room for one more request; `release` it when the exchange ends. */
  acquire(): number;
  release(slot: number): void;
}

export function agentPool<A>(makeAgent: () => A, perAgent: number): AgentPool<A> {
  const agents: A[] = [];
  /** Requests in flight per agent, same index. */
  const lent: number[] = [];
  return {
    agents,
    acquire() {
      let slot = 0;
      while (slot < agents.length && lent[slot]! >= perAgent) slot++;
      if (slot === agents.length) {
        agents.push(makeAgent());
        lent.push(0);
      }
      lent[slot]! += 1;
      return slot;
    },
    release(slot) {
      lent[slot]! -= 1;
    },
  };
}
