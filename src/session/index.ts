export {
  createChatSession,
  ChatSessionConflictError,
  chatSessionInput,
  type ChatSessionActor,
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
export { bindBrowserConnectivity, type BrowserLike, type ConnectivityReceiver } from './connectivity.js';
export { prepareRestoredSnapshot } from './restore.js';
