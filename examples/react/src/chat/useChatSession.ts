/**
 * One chat session as a React hook: the machine (bound to a client that talks to the gateway)
 * started with `useActorRef`, persisted to sessionStorage so a page reload resumes the chat,
 * the snapshot as the view module's `connectChat` (what to show, what the customer can do),
 * and files the session downloads (`file.downloaded` emitted events) turned into object URLs.
 */
import { useActorRef, useSelector } from '@xstate/react';
import { bindBrowserConnectivity, connectChat, createWebSessionStorage, persistSession, type ChatApi, type PersistedChatSession } from 'aicc-chat-machine';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { InspectionEvent } from 'xstate';
import { chatLogicFor, objectUrlOf, type DemoIdentity } from '../../../shared/browser.js';

export interface DownloadedFile {
  url: string;
  fileType: string;
}

function storageFor(identity: DemoIdentity) {
  return createWebSessionStorage(sessionStorage, `aicc-chat:${identity.userId}`, {
    onError: (error) => console.warn('chat storage:', error),
  });
}

/** A saved, still running session of this user, if any. */
function restorable(identity: DemoIdentity): PersistedChatSession | undefined {
  const saved = storageFor(identity).load() as (PersistedChatSession & { context?: { identity?: { userId?: string } } }) | undefined;
  return saved?.status === 'active' && saved.context?.identity?.userId === identity.userId ? saved : undefined;
}

/** Forget the saved session (before "start a new chat"). */
export function clearSavedSession(identity: DemoIdentity): void {
  storageFor(identity).clear();
}

export function useChatSession(identity: DemoIdentity, inspect?: (event: InspectionEvent) => void) {
  // Built once per mounted session (the parent remounts with a new key for a new chat).
  const [{ logic, input }] = useState(() => chatLogicFor(identity));
  const [snapshot] = useState(() => restorable(identity));

  const actorRef = useActorRef(logic, {
    input,
    ...(snapshot ? { snapshot } : {}),
    ...(inspect ? { inspect } : {}),
  });

  useEffect(() => {
    // Pending timers are not part of a persisted snapshot: tell the machine it was restored.
    if (snapshot) actorRef.send({ type: 'session.resumed' });
  }, [actorRef, snapshot]);

  useEffect(() => persistSession(actorRef, storageFor(identity)), [actorRef, identity]);

  // online/offline and page visibility: the machine holds the outbox while offline and polls
  // less while the page is hidden.
  useEffect(() => bindBrowserConnectivity(actorRef, window), [actorRef]);

  // Downloaded bytes never enter the snapshot: they arrive as an emitted event.
  const [files, setFiles] = useState<ReadonlyMap<string, DownloadedFile>>(new Map());
  useEffect(() => {
    const urls: string[] = [];
    const subscription = actorRef.on('file.downloaded', ({ key, bytes, fileType }) => {
      const url = objectUrlOf(bytes, fileType);
      urls.push(url);
      setFiles((current) => new Map(current).set(key, { url, fileType }));
    });
    return () => {
      subscription.unsubscribe();
      for (const url of urls) URL.revokeObjectURL(url);
    };
  }, [actorRef]);

  // One view of the snapshot for the whole widget; its commands send to this actor.
  const current = useSelector(actorRef, (s) => s);
  const chat: ChatApi = useMemo(() => connectChat(current, (event) => actorRef.send(event)), [current, actorRef]);

  // Fetch every received file once (again after a reload: object URLs do not survive it).
  const requested = useRef(new Set<string>());
  useEffect(() => {
    if (!chat.can.download) return;
    for (const entry of chat.transcript) {
      const download = entry.kind === 'message' ? entry.file?.download : null;
      if (!download || download === 'downloading' || download === 'failed' || files.has(entry.key) || requested.current.has(entry.key)) continue;
      requested.current.add(entry.key);
      chat.download(entry.key);
    }
  }, [chat, files]);

  return { actorRef, chat, files };
}

