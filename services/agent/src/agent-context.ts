import type { FfmpegRunner } from '@media-vault/media-tools';
import type { TaskClient } from '@media-vault/task-client';
import type { AgentSettings } from './config.js';
import type { AgentSecrets } from './identity-store.js';
import type { KnownOwners } from './owner-keys.js';
import type { Vault } from './vault.js';

/** What every agent job handler works with. */
export interface AgentContext {
  readonly settings: AgentSettings;
  readonly secrets: AgentSecrets;
  /** The owner key this agent obeys (raw Ed25519), from its own key directory. */
  readonly ownerKey: Uint8Array;
  /** Owner keys of other sealers, pinned on first use. */
  readonly knownOwners: KnownOwners;
  /** The agent's user, as the platform named it when the agent registered. */
  readonly userId: string;
  readonly api: TaskClient;
  readonly vault: Vault;
  /** ffprobe with the configured binary and time-out. */
  readonly media: FfmpegRunner;
  /** This agent's IPFS peer id: the seed's `ip` of the blocks it uploads. */
  readonly peerId: string;
}
