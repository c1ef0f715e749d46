import {
  VaultError,
  type Agent,
  type Principal,
  type RegisterAgentBody,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import type { TasksDatabase } from '../db/index.js';
import { agentRegisteredEvent } from './agent.events.js';
import { toAgent } from './agent.mapper.js';
import { findAgent, insertAgent, listAgentsOfUser, updateAgent } from './agent.repository.js';
import { assertUsableKeys, sameRegistration } from './agent.rules.js';

export interface AgentRegistration {
  readonly agent: Agent;
  /** False when the agent re-registered with nothing changed: no write, no event. */
  readonly changed: boolean;
}

/** Agents registered by their users: the keys sealing and release use. */
export class Agents {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Registers an agent for the caller, or updates the caller's own agent of that id (a worker
   * re-registers at every start, possibly with a new peer id). An id held by another user is a
   * conflict: agent ids address job subjects, so they cannot be shared.
   */
  async register(principal: Principal, body: RegisterAgentBody): Promise<AgentRegistration> {
    assertUsableKeys(body);
    return this.db.transaction(async (tx) => {
      const inserted = await insertAgent(tx, {
        id: body.id,
        userId: principal.id,
        name: body.name ?? '',
        peerId: body.peer_id,
        publicKey: body.public_key,
        signingKey: body.signing_key,
        ownerKey: body.owner_key ?? '',
      });
      if (inserted) {
        const agent = toAgent(inserted);
        await enqueueEvents(tx, [agentRegisteredEvent(agent, null)]);
        return { agent, changed: true };
      }

      const existing = await findAgent(tx, body.id, { lock: true });
      if (!existing) throw new VaultError('conflict', `agent ${body.id} is being registered`);
      if (existing.userId !== principal.id) {
        throw new VaultError('alreadyExists', `agent id ${body.id} is registered to another user`);
      }
      if (sameRegistration(existing, body)) return { agent: toAgent(existing), changed: false };

      const agent = toAgent(
        await updateAgent(tx, body.id, {
          name: body.name ?? existing.name,
          peerId: body.peer_id,
          publicKey: body.public_key,
          signingKey: body.signing_key,
          ownerKey: body.owner_key ?? existing.ownerKey,
        }),
      );
      await enqueueEvents(tx, [agentRegisteredEvent(agent, 'registered')]);
      return { agent, changed: true };
    });
  }

  /** Any agent's public record: its keys are what an owner names, by fingerprint, in a grant. */
  async get(id: string): Promise<Agent> {
    const row = await findAgent(this.db, id);
    if (!row) throw new VaultError('notFound', `agent ${id} is not registered`);
    return toAgent(row);
  }

  async listForUser(userId: string): Promise<Agent[]> {
    return (await listAgentsOfUser(this.db, userId)).map(toAgent);
  }
}
