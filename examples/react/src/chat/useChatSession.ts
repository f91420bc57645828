/**
 * One chat session as a React hook, shared by every tab of the customer: `createTabSession`
 * (aicc-chat-machine/tabs) elects one tab (a Web Lock per channel and user) to run the session
 * (the poll loop, the outbox, uploads); the others mirror its snapshot and forward what the
 * customer does there. The snapshot is saved to localStorage, so a reload (even of the last
 * tab) resumes the chat. What to show and what the customer can do is the view module's
 * `connectChat`; files the session downloads (`file.downloaded`, relayed to every tab) become
 * object URLs.
 */
import { bindBrowserConnectivity, connectChat, createChatSession, createWebSessionStorage, type ChatApi, type ChatSessionStorage, type ChatUserEvent } from 'aicc-chat-machine';
import { useChatSession as useSession } from 'aicc-chat-machine/react';
import { createTabSession, type TabRole } from 'aicc-chat-machine/tabs';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { InspectionEvent } from 'xstate';
import { chatSessionOptionsFor, objectUrlOf, type DemoIdentity } from '../../../shared/browser.js';

export interface DownloadedFile {
  url: string;
  fileType: string;
}

/**
 * localStorage: shared by the customer's tabs and kept when the last one closes. None when the
 * browser blocks it (reading `localStorage` throws then): the tabs still share the session,
 * and closing the last one ends it for this browser.
 */
function storageFor(identity: DemoIdentity): ChatSessionStorage | undefined {
  let store: Storage;
  try {
    store = window.localStorage;
  } catch {
    return undefined;
  }
  return createWebSessionStorage(store, `aicc-chat:${identity.userId}`, {
    onError: (error) => console.warn('chat storage:', error),
  });
}

/** Forget the saved session (before "start a new chat"). */
export function clearSavedSession(identity: DemoIdentity): void {
  storageFor(identity)?.clear();
}

/** One session per customer and channel per browser: every tab with this key shares it. */
export function tabKeyOf(identity: DemoIdentity): string {
  return `${identity.channelId}:${identity.userId}`;
}

const noRole = (): TabRole | undefined => undefined;
const noSubscription = () => () => undefined;

export function useChatSession(identity: DemoIdentity, inspect?: (event: InspectionEvent) => void) {
  // A page restored from the back/forward cache was stopped on `pagehide`: it gets a new tab
  // session (a new generation; a stopped one cannot be started again).
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const back = (event: PageTransitionEvent) => {
      if (event.persisted) setGeneration((g) => g + 1);
    };
    window.addEventListener('pageshow', back);
    return () => window.removeEventListener('pageshow', back);
  }, []);

  // aicc-chat-machine/react creates the tab session in an effect, starts it, stops it on
  // unmount, and is safe under StrictMode's double mount (one session, one CONNECT).
  const { session, snapshot } = useSession({
    createSession: () => {
      const { client, input } = chatSessionOptionsFor(identity);
      return createTabSession({
        key: tabKeyOf(identity),
        // Built in every tab; started only in the tab that runs the session. `snapshot` is set
        // when this tab continues a running one (after a reload, or when the leading tab went
        // away): the library's restore path (catch-up, no second CONNECT).
        createSession: (snapshot) =>
          createChatSession({ client, ...input, ...(snapshot ? { snapshot } : {}), ...(inspect ? { inspect } : {}) }),
        storage: storageFor(identity),
      });
    },
  }, [identity, inspect, generation]);

  // Leave at once when the page goes away (closed, reloaded, navigated): the next tab takes
  // over from the last snapshot (the browser would release the lock anyway).
  useEffect(() => {
    if (!session) return;
    const leave = () => session.stop();
    window.addEventListener('pagehide', leave);
    return () => window.removeEventListener('pagehide', leave);
  }, [session]);

  // online/offline and page visibility: the running tab holds the outbox while offline and
  // polls less while every tab of the customer is hidden.
  useEffect(() => (session ? bindBrowserConnectivity(session, window) : undefined), [session]);

  // leader / follower (/ solo, standby without BroadcastChannel); every change is announced to subscribers.
  const subscribeRole = useCallback((onChange: () => void) => {
    const subscription = session?.subscribe(onChange);
    return () => subscription?.unsubscribe();
  }, [session]);
  const role = useSyncExternalStore(session ? subscribeRole : noSubscription, session ? () => session.role : noRole);

  // A follower's event that no tab delivered (no leader in time, session over): say so.
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    if (!session) return;
    const subscription = session.on('tab.sendFailed', ({ error }) => setNotice(error.message));
    return () => subscription.unsubscribe();
  }, [session]);

  // Downloaded bytes never enter the snapshot: they arrive as an emitted event, in every tab.
  const [files, setFiles] = useState<ReadonlyMap<string, DownloadedFile>>(new Map());
  useEffect(() => {
    if (!session) return;
    const urls: string[] = [];
    const subscription = session.on('file.downloaded', ({ key, bytes, fileType }) => {
      const url = objectUrlOf(bytes, fileType);
      urls.push(url);
      setFiles((current) => new Map(current).set(key, { url, fileType }));
    });
    return () => {
      subscription.unsubscribe();
      for (const url of urls) URL.revokeObjectURL(url);
    };
  }, [session]);

  // The view's commands go to the shared session (wherever it runs), through its promise-based
  // send: a delivered event clears the banner of an earlier failure.
  const send = useCallback(
    (event: ChatUserEvent) =>
      void session?.send(event).then((outcome) => {
        if (outcome.status !== 'failed') setNotice(null);
      }),
    [session],
  );
  const chat: ChatApi | undefined = useMemo(() => (snapshot ? connectChat(snapshot, send) : undefined), [snapshot, send]);

  // Fetch every received file once (again after a reload: object URLs do not survive it). The
  // tab that runs the session fetches new files (the bytes reach every tab); a follower asks
  // only for a file already fetched before it joined — asking for a new one too would race the
  // leader's own request and the second would be refused ("already downloading").
  const requested = useRef(new Set<string>());
  const runs = role === 'leader' || role === 'solo';
  useEffect(() => {
    if (!chat?.can.download) return;
    for (const entry of chat.transcript) {
      const download = entry.kind === 'message' ? entry.file?.download : null;
      if (!download || download === 'downloading' || download === 'failed' || files.has(entry.key) || requested.current.has(entry.key)) continue;
      if (download === 'idle' && !runs) continue;
      requested.current.add(entry.key);
      chat.download(entry.key);
    }
  }, [chat, files, runs]);

  return { session, role, chat, files, notice };
}
