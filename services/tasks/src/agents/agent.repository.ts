import {
  EventSubjects,
  VaultError,
  type Agent,
  type AgentEvent,
  type Principal,
  type RegisterAgentBody,
} from '@media-vault/contracts';
import { enqueueEvents, newEventId } from '@media-vault/service-kit';
import { asc, eq } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import { agents, type AgentRow } from '../db/schema.js';
import { assertUsableKeys } from './agent-keys.js';
import { toAgent } from './agent.mapper.js';

export interface AgentRegistration {
  readonly agent: Agent;
  /** False when the agent re-registered with nothing changed: no write, no event. */
  readonly changed: boolean;
}

const sameRegistration = (row: AgentRow, body: RegisterAgentBody): boolean =>
  row.peerId === body.peer_id &&
  row.publicKey === body.public_key &&
  row.signingKey === body.signing_key &&
  row.name === (body.name ?? row.name);

const registeredEvent = (agent: Agent, previous: 'registered' | null): AgentEvent => ({
  id: newEventId(),
  type: 'agent.registered',
  at: new Date().toISOString(),
  previous_status: previous,
  status: 'registered',
  record: agent,
});

export class AgentRepository {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Registers an agent for the caller, or updates the caller's own agent of that id (a worker
   * re-registers at every start, possibly with a new peer id). An id held by another user is a
   * conflict: agent ids address job subjects, so they cannot be shared.
   */
  async register(principal: Principal, body: RegisterAgentBody): Promise<AgentRegistration> {
    assertUsableKeys(body);
    return this.db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(agents)
        .values({
          id: body.id,
          userId: principal.id,
          name: body.name ?? '',
          peerId: body.peer_id,
          publicKey: body.public_key,
          signingKey: body.signing_key,
        })
        .onConflictDoNothing({ target: agents.id })
        .returning();
      if (inserted) {
        const agent = toAgent(inserted);
        await enqueueEvents(tx, [
          { subject: EventSubjects.agent(agent.id), payload: registeredEvent(agent, null) },
        ]);
        return { agent, changed: true };
      }

      const [existing] = await tx.select().from(agents).where(eq(agents.id, body.id)).for('update');
      if (!existing) throw new VaultError('conflict', `agent ${body.id} is being registered`);
      if (existing.userId !== principal.id) {
        throw new VaultError('alreadyExists', `agent id ${body.id} is registered to another user`);
      }
      if (sameRegistration(existing, body)) return { agent: toAgent(existing), changed: false };

      const [updated] = await tx
        .update(agents)
        .set({
          name: body.name ?? existing.name,
          peerId: body.peer_id,
          publicKey: body.public_key,
          signingKey: body.signing_key,
          updatedAt: new Date(),
        })
        .where(eq(agents.id, body.id))
        .returning();
      const agent = toAgent(updated as AgentRow);
      await enqueueEvents(tx, [
        { subject: EventSubjects.agent(agent.id), payload: registeredEvent(agent, 'registered') },
      ]);
      return { agent, changed: true };
    });
  }

  async listForUser(userId: string): Promise<Agent[]> {
    const rows = await this.db
      .select()
      .from(agents)
      .where(eq(agents.userId, userId))
      .orderBy(asc(agents.createdAt), asc(agents.id));
    return rows.map(toAgent);
  }
}
