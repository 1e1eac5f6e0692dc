/** What other layers (sandbox, CLI) use of the runtime. */
export {
  type ChatApp,
  type ChatAppDeps,
  createChatApp,
  managementEndpoint,
  type StreamResult,
  type WebSocketEvent,
  type WebSocketResult,
} from './app.js';
export { InvalidTokenError, signDevToken, verifyDevToken } from './auth/dev-token.js';
export { configFromEnv, type RelayTarget, type RuntimeConfig } from './config.js';
export type { RelayPayload, RelayResult } from './notify/relay.js';
export {
  getLoadLevel,
  getLoadLevelRecord,
  isLoadLevel,
  type LoadLevelRecord,
  SHEDDING,
  setLoadLevel,
} from './store/load-level.js';
export { createChatTable } from './store/table.js';
