export {
  createChatSession,
  ChatSessionConflictError,
  chatSessionInput,
  type ChatSessionActor,
  type ChatSessionCommonOptions,
  type ChatSessionOptions,
  type PersistedChatSession,
} from './createChatSession.js';
export {
  createMemorySessionStorage,
  createWebSessionStorage,
  persistSession,
  type ChatSessionStorage,
  type PersistableSession,
  type WebSessionStorageOptions,
} from './storage.js';
export { bindBrowserConnectivity, type BrowserEventListener, type BrowserLike, type ConnectivityReceiver, type EventTargetLike } from './connectivity.js';
export { prepareRestoredSnapshot } from './restore.js';
