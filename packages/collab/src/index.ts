/**
 * @accord/collab: Yjs document shapes, a transport-agnostic sync room (server) and document
 * provider (client), and the persistence interface they share. Wire rules: PROTOCOL.md.
 */
export {
  CloseCode,
  ErrorCode,
  MessageType,
  ProtocolError,
  SyncType,
  decodeAwarenessUpdate,
  decodeFrame,
  encodeAwarenessEntries,
  encodeFrame,
  type Access,
  type AwarenessEntry,
  type Frame,
} from './protocol.ts';
export { checkUpdate, defaultUpdateLimits, type UpdateCheck, type UpdateLimits } from './validate.ts';
export { systemClock, type RoomClock, type TimerHandle } from './clock.ts';
export {
  compactInProcess,
  createMemoryPersistence,
  type Compactor,
  type DocPersistence,
  type LoadedDoc,
} from './persistence.ts';
export {
  createSyncRoom,
  defaultRoomLimits,
  type ConnectOptions,
  type Peer,
  type PeerIdentity,
  type PresenceEntry,
  type RoomErrorContext,
  type RoomErrorPhase,
  type RoomLimits,
  type SyncRoom,
  type SyncRoomOptions,
} from './room.ts';
export {
  createDocProvider,
  type DocProvider,
  type DocProviderOptions,
  type DocTransport,
  type ProviderError,
  type ProviderEvents,
  type ProviderStatus,
} from './provider.ts';
export {
  DEFAULT_JUSTIFICATION,
  RUBRIC_ROOTS,
  addDimension,
  addFlag,
  addPrecedenceRule,
  addRubricProposal,
  readRubricProposals,
  removeRubricProposal,
  type RubricProposal,
  addSpanCategory,
  getDimensionText,
  getLevelAnchorText,
  levelsForScale,
  moveDimension,
  readRubricDraft,
  removeDimension,
  removeNamed,
  removePrecedenceRule,
  setField,
  setJustification,
  writeRubricDraft,
  type DimensionField,
  type DimensionTarget,
  type JustificationPolicy,
  type PrecedenceRule,
  type RubricDimension,
  type RubricDraft,
  type RubricFlag,
  type RubricLevel,
  type RubricScale,
  type SpanCategory,
} from './shapes/rubric.ts';
export {
  createSocketDocTransport,
  type DocSocketLike,
  type SocketDocTransport,
  type SocketTransportOptions,
} from './socket-transport.ts';
export {
  DISPUTE_ROOTS,
  addDisputeComment,
  addProposalSpan,
  getRationaleText,
  isProposalEmpty,
  proposalDigest,
  readDispute,
  readDisputeProposal,
  removeProposalSpan,
  setDisputeTag,
  setProposalPreference,
  setProposalScore,
  writeDisputeProposal,
  type DisputeComment,
  type DisputeProposal,
  type DisputeRoom,
  type ProposalScore,
  type ProposalSpan,
} from './shapes/dispute.ts';
export { itemNotes, notesKey } from './shapes/calibration.ts';
