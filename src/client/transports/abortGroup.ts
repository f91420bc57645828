/**
 * What a transport stops when a caller's AbortSignal fires: the exchanges in flight under it.
 * Used by the Node transports (node.ts, net.ts).
 *
 * One 'abort' listener per signal, not one per request: a session passes the same long-lived
 * signal with every poll, and adding and removing an EventTarget listener per request was a
 * visible share of an idle session's CPU (docs/performance.md, scale).
 */

/** An exchange that can be stopped; `stops` is the group it is in, set by `joinAbortGroup`. */
export interface Stoppable {
  stops: Set<Stoppable> | undefined;
  stop(reason: 'aborted'): void;
}

const inFlight = new WeakMap<AbortSignal, Set<Stoppable>>();

/** Stops `exchange` when `signal` fires. Settling it must `leaveAbortGroup` it. */
export function joinAbortGroup(signal: AbortSignal, exchange: Stoppable): void {
  let stops = inFlight.get(signal);
  if (!stops) {
    stops = new Set();
    inFlight.set(signal, stops);
    stopAllOnAbort(signal, stops);
  }
  stops.add(exchange);
  exchange.stops = stops;
}

export function leaveAbortGroup(exchange: Stoppable): void {
  exchange.stops?.delete(exchange);
}

/**
 * The signal's one listener, made in a scope of its own: a closure made in `joinAbortGroup`
 * would share that call's context, and so keep the first request under the signal, its promise
 * and its answer, for as long as the signal lives (a session's whole life).
 */
function stopAllOnAbort(signal: AbortSignal, stops: Set<Stoppable>): void {
  signal.addEventListener(
    'abort',
    () => {
      for (const each of [...stops]) each.stop('aborted');
      stops.clear();
    },
    { once: true },
  );
}
