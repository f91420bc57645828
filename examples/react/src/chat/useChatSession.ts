/**
 * One chat session as a React hook: the machine (bound to a client that talks to the gateway)
 * started with `useActorRef`, persisted to sessionStorage so a page reload resumes the chat,
 * and files the session downloads (`file.downloaded` emitted events) turned into object URLs.
 */
import { useActorRef, useSelector } from '@xstate/react';
import { bindBrowserConnectivity, createWebSessionStorage, persistSession, transcriptEntries, type PersistedChatSession } from 'aicc-chat-machine';
import { useEffect, useRef, useState } from 'react';
import type { InspectionEvent } from 'xstate';
import { chatLogicFor, objectUrlOf, type DemoIdentity } from '../../../shared/browser.js';
import { isMediaEntry } from './format.js';

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

  // Fetch every incoming file once (again after a reload: object URLs do not survive it).
  const transcript = useSelector(actorRef, (s) => s.context.transcript);
  const downloads = useSelector(actorRef, (s) => s.context.downloads);
  const requested = useRef(new Set<string>());
  useEffect(() => {
    for (const entry of transcriptEntries(transcript)) {
      if (!isMediaEntry(entry) || files.has(entry.key) || requested.current.has(entry.key)) continue;
      const status = downloads[entry.key]?.status;
      if (status === 'downloading' || status === 'failed') continue;
      requested.current.add(entry.key);
      actorRef.send({ type: 'file.download', key: entry.key });
    }
  }, [actorRef, transcript, downloads, files]);

  return { actorRef, files };
}

export type ChatActorRef = ReturnType<typeof useChatSession>['actorRef'];
