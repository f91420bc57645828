/**
 * Browser connectivity and page visibility → session events. Wire it once per session:
 *
 *   const unbind = bindBrowserConnectivity(session, window);
 *
 * `online` / `offline` → `connection.online` / `connection.offline`: while offline the poll loop
 * holds still (no request storm, no failures counted) and typed messages wait in the outbox;
 * back online it polls at once and sends what waited, in order. `visibilitychange` (and
 * `pageshow` after the back/forward cache) → `page.visible` / `page.hidden`: a visible page
 * replaces a poll that has been in flight too long (a tab the OS suspended, a socket that died
 * with a network switch) and cuts any backoff short. The current state is reported at once.
 */
import type { ChatUserEvent } from '../../machines/chatSession.types.js';

/** A listener `bindBrowserConnectivity` registers; it reads nothing from the event. */
export type BrowserEventListener = (event?: unknown) => void;

/** The listener half of a DOM `EventTarget` (`window`, `document`). */
export interface EventTargetLike {
  addEventListener(type: string, listener: BrowserEventListener): void;
  removeEventListener(type: string, listener: BrowserEventListener): void;
}

/** The parts of `window` the helper uses (so tests and non-DOM hosts can pass their own). */
export interface BrowserLike extends EventTargetLike {
  navigator?: { onLine?: boolean };
  document?: EventTargetLike & { visibilityState?: string };
}

export interface ConnectivityReceiver {
  send(event: ChatUserEvent): void;
}

export function bindBrowserConnectivity(session: ConnectivityReceiver, browser: BrowserLike): () => void {
  const reportOnline = (): void => session.send({ type: browser.navigator?.onLine === false ? 'connection.offline' : 'connection.online' });
  const reportVisibility = (): void =>
    session.send({ type: browser.document?.visibilityState === 'hidden' ? 'page.hidden' : 'page.visible' });
  const onOnline: BrowserEventListener = () => session.send({ type: 'connection.online' });
  const onOffline: BrowserEventListener = () => session.send({ type: 'connection.offline' });
  const onPageShow: BrowserEventListener = () => {
    reportOnline();
    reportVisibility();
  };
  browser.addEventListener('online', onOnline);
  browser.addEventListener('offline', onOffline);
  browser.addEventListener('pageshow', onPageShow);
  browser.document?.addEventListener('visibilitychange', reportVisibility);
  reportOnline();
  reportVisibility();
  return () => {
    browser.removeEventListener('online', onOnline);
    browser.removeEventListener('offline', onOffline);
    browser.removeEventListener('pageshow', onPageShow);
    browser.document?.removeEventListener('visibilitychange', reportVisibility);
  };
}
