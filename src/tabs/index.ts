/**
 * aicc-chat-machine/tabs: one chat session per customer per browser, shared by all its tabs
 * (Web Locks leader election, BroadcastChannel mirroring, hand-over from the persisted
 * snapshot). See docs/guides/tabs.md.
 */
export { createTabSession, tabLockName, ANSWER_GRACE_MS, BYE_GRACE_MS, DEFAULT_FORWARD_TIMEOUT_MS, DEFAULT_STANDBY_REFRESH_MS } from './coordinator.js';
export { TabSessionError, isTabSessionError, type TabSessionErrorCode } from './errors.js';
export { createStorageLeaseLocks, leaseKey, LEASE_DEFAULTS, type LeaseLock } from './leaseLocks.js';
export { createMemoryTabEnvironment, type MemoryTab, type MemoryTabEnvironment } from './memory.js';
export type * from './types.js';
export { TAB_PROTOCOL_VERSION } from './types.js';
