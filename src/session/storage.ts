/**
 * Session persistence: save `getPersistedSnapshot()` on every change, clear it when the session
 * is over, restore with `createChatSession({ ..., snapshot: storage.load() })`.
 */
import type { PersistedChatSession } from './createChatSession.js';

export interface ChatSessionStorage {
  /** The saved snapshot, or undefined when none (or it is unreadable). */
  load(): PersistedChatSession | undefined;
  save(snapshot: PersistedChatSession): void;
  clear(): void;
}

/** Minimal view of a running session that persistSession needs. */
export interface PersistableSession {
  getSnapshot(): { status: string };
  getPersistedSnapshot(): PersistedChatSession;
  subscribe(observer: { next?: () => void; error?: (error: unknown) => void; complete?: () => void }): { unsubscribe(): void };
}

function looksLikeSnapshot(value: unknown): value is PersistedChatSession {
  return typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'string';
}

/** Keeps the snapshot as a JSON string in memory (the same round trip a real store does). */
export function createMemorySessionStorage(): ChatSessionStorage {
  let json: string | null = null;
  return {
    load() {
      if (json === null) return undefined;
      const value: unknown = JSON.parse(json);
      return looksLikeSnapshot(value) ? value : undefined;
    },
    save(snapshot) {
      json = JSON.stringify(snapshot);
    },
    clear() {
      json = null;
    },
  };
}

export interface WebSessionStorageOptions {
  /** Called when the store refuses a write (quota, private mode) or holds garbage. */
  onError?: (error: unknown) => void;
}

/** Wraps localStorage / sessionStorage (or anything with the same three methods). */
export function createWebSessionStorage(
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>,
  key: string,
  options: WebSessionStorageOptions = {},
): ChatSessionStorage {
  return {
    load() {
      try {
        const json = storage.getItem(key);
        if (json === null) return undefined;
        const value: unknown = JSON.parse(json);
        if (looksLikeSnapshot(value)) return value;
        storage.removeItem(key);
      } catch (error) {
        options.onError?.(error);
      }
      return undefined;
    },
    save(snapshot) {
      try {
        storage.setItem(key, JSON.stringify(snapshot));
      } catch (error) {
        options.onError?.(error);
      }
    },
    clear() {
      try {
        storage.removeItem(key);
      } catch (error) {
        options.onError?.(error);
      }
    },
  };
}

/**
 * Saves the persisted snapshot after every change while the session runs and clears the store
 * when it ends (final state or error). Stopping the actor (page unload, unmount) keeps the last
 * save, so the session can be restored. Returns an unsubscribe function.
 */
export function persistSession(actor: PersistableSession, storage: ChatSessionStorage): () => void {
  const sync = (): void => {
    const { status } = actor.getSnapshot();
    if (status === 'active') storage.save(actor.getPersistedSnapshot());
    else if (status === 'done' || status === 'error') storage.clear();
  };
  const subscription = actor.subscribe({ next: sync, error: sync, complete: sync });
  return () => subscription.unsubscribe();
}
