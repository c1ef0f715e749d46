/**
 * The sealed master format (SPEC §8, docs/sealed-format.md): a master becomes a public block of
 * AES-256-GCM segments and a private block of key material, which travels only inside key
 * envelopes sealed to one agent and signed by another; and the hash-chained audit log of a source.
 * Pure and streaming; no I/O of its own.
 */
export {
  SealedFormatError,
  SealedFormatReasons,
  isSealedFormatError,
  type SealedFormatReason,
} from './errors.js';
export { sourceBinding, SOURCE_BINDING_LENGTH } from './source-binding.js';
export {
  DEFAULT_SEGMENT_SIZE,
  MAX_SEGMENT_SIZE,
  SEGMENT_TAG_LENGTH,
  sealedLayout,
  segmentPlaintextSize,
  type SealedLayout,
} from './segment-layout.js';
export {
  CONTENT_KEY_LENGTH,
  generateContentKey,
  segmentAad,
  segmentNonce,
} from './segment-cipher.js';
export {
  SealStream,
  createSealStream,
  type SealResult,
  type SealStreamOptions,
} from './seal-stream.js';
export { OpenStream, createOpenStream, type OpenStreamOptions } from './open-stream.js';
export {
  decodePrivateBlock,
  encodePrivateBlock,
  privateBlockOf,
  type JsonValue,
  type MediaMetadata,
  type PrivateBlock,
  type PrivateBlockInput,
} from './private-block.js';
export {
  agentPublicKeys,
  decodeRawKey,
  AGENT_IDENTITY_FILE,
  encodeRawKey,
  exportAgentIdentity,
  generateAgentIdentity,
  importPrivateKey,
  importPublicKey,
  keyFingerprint,
  loadAgentIdentity,
  rawPublicKey,
  type AgentIdentity,
  type AgentKeyType,
  type PrivateKeyInput,
  type PublicKeyInput,
} from './agent-identity.js';
export {
  openKeyEnvelope,
  openVaultCopy,
  readKeyEnvelopeHeader,
  sealKeyEnvelope,
  sealVaultCopy,
  type EnvelopeOpener,
  type EnvelopeRecipient,
  type EnvelopeSigner,
  type ExpectedSigner,
  type KeyEnvelopeHeader,
  type OpenKeyEnvelopeOptions,
  type OpenedKeyEnvelope,
  type SealKeyEnvelopeOptions,
} from './key-envelope.js';
export * from './passphrase-box.js';
export * from './grant-statement.js';
export {
  AUDIT_BODY_TAG,
  AUDIT_ENTRY_TAG,
  AUDIT_GENESIS_HASH,
  AuditBreakReasons,
  SIGNED_AUDIT_KINDS,
  auditBodyBytes,
  auditEntryBytes,
  auditEntryHash,
  canonicalJson,
  chainAuditEntry,
  sameRawKey,
  signAuditBody,
  verifyAuditChain,
  verifyAuditSignature,
  type AuditActorFields,
  type AuditBody,
  type AuditBreakReason,
  type AuditChainReport,
  type AuditEntryCheck,
  type AuditProblem,
  type AuditSignatureFields,
  type AuditSigner,
  type ChainedAuditEntry,
  type VerifyAuditChainOptions,
} from './audit-chain.js';
