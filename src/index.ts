/**
 * aicc-chat-machine: the customer side of a Huawei AICC (CC-Messaging) chat as one XState v5
 * statechart. This entry is browser-safe: the simulator lives in `aicc-chat-machine/simulator`
 * (and the server-side gateway in `aicc-chat-machine/gateway`), never here.
 */
export { chatSessionMachine, type ChatSessionMachine } from '../machines/chatSession.machine.js';
export { chatSessionActorContracts, type ChatSessionActorContracts } from '../machines/chatSession.contracts.js';
export { DEFAULT_TIMING } from '../machines/chatSession.context.js';
export { entryAt, entryAtPosition, transcriptEntries } from '../machines/chatSession.transcript.js';
export { END_REASONS } from '../machines/chatSession.types.js';
export type * from '../machines/chatSession.types.js';
export type * from '../machines/chatSession.contracts.js';
export { createChatActors, fullJitterBackoff, type ChatActors, type ChatActorsOptions, type ClientSource, type SessionSystem, type Sleep } from './actors/index.js';
export * from './session/index.js';
export * from './view/index.js';
export * from './client/index.js';
