/**
 * Slots held per key, in this process only: requests in flight per customer or client address
 * (the gateway), connections per peer address (connections.ts). For requests, the
 * caps of `limits.inFlightPerCustomer`, `inFlightPerAddress` and `uploadsPerAddress` bound the
 * sockets and buffered bodies of the process that holds them, so a count shared by a fleet would
 * be the wrong measure (one client could put its whole fleet-wide share on one instance).
 */
export interface InFlightCounter {
  /**
   * Takes a slot under `key` unless it already holds `max`: the function that gives it back
   * (idempotent), or null. An infinite `max` counts nothing.
   */
  take(key: string, max: number): (() => void) | null;
}

const NOTHING = (): void => {};

export function createInFlightCounter(): InFlightCounter {
  const counts = new Map<string, number>();
  return {
    take(key, max) {
      if (max === Infinity) return NOTHING;
      const held = counts.get(key) ?? 0;
      if (held >= max) return null;
      counts.set(key, held + 1);
      let given = false;
      return () => {
        if (given) return;
        given = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      };
    },
  };
}
