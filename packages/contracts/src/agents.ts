import { Type, type Static } from '@sinclair/typebox';
import { StatusEvent } from './events.js';
import { UserId } from './principal.js';

const base64Key = (description: string) =>
  Type.String({
    description: `${description}, 32 bytes in base64 or base64url`,
    minLength: 43,
    maxLength: 44,
    pattern: '^[A-Za-z0-9+/_-]{43}=?$',
  });

export const AgentId = Type.String({
  minLength: 3,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Agent id; it becomes a NATS subject token (jobs.ipfs.<agent>.>)',
});

/** Body of `POST /api/v1/agents/`: an ipfs-worker registers itself for its user. */
export const RegisterAgentBody = Type.Object(
  {
    id: AgentId,
    peer_id: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'IPFS peer id of the agent',
    }),
    public_key: base64Key('X25519 public key that private blocks are sealed to'),
    signing_key: base64Key('Ed25519 public key that verifies released private blocks'),
    name: Type.Optional(Type.String({ maxLength: 200, description: 'Human name of the agent' })),
    owner_key: Type.Optional(
      base64Key('Ed25519 public key of the owner whose signed grants this agent obeys'),
    ),
  },
  { additionalProperties: false },
);
export type RegisterAgentBody = Static<typeof RegisterAgentBody>;

export const Agent = Type.Object({
  id: AgentId,
  user_id: UserId,
  name: Type.String(),
  peer_id: Type.String(),
  public_key: Type.String(),
  signing_key: Type.String(),
  owner_key: Type.String({ description: 'the owner key the agent obeys; empty if it named none' }),
  created_at: Type.String({ description: 'UTC, `YYYY-MM-DD HH:mm:ss` as in seed 000' }),
  updated_at: Type.String(),
});
export type Agent = Static<typeof Agent>;

export const AgentList = Type.Array(Agent);
export type AgentList = Static<typeof AgentList>;

export const ListAgentsRequest = Type.Object({}, { additionalProperties: false });
export type ListAgentsRequest = Static<typeof ListAgentsRequest>;

export const GetAgentRequest = Type.Object({ id: AgentId }, { additionalProperties: false });
export type GetAgentRequest = Static<typeof GetAgentRequest>;

/** Agents have no status machine; registration (first or repeated with changes) is the event. */
export const AgentEvent = StatusEvent(Agent, Type.Literal('registered'));
export type AgentEvent = Static<typeof AgentEvent>;

export const AgentCommandSubjects = {
  agentRegister: 'svc.tasks.agent.register',
  agentList: 'svc.tasks.agent.list',
  agentGet: 'svc.tasks.agent.get',
} as const;

export const AgentCommands = {
  [AgentCommandSubjects.agentRegister]: { request: RegisterAgentBody, response: Agent },
  [AgentCommandSubjects.agentList]: { request: ListAgentsRequest, response: AgentList },
  [AgentCommandSubjects.agentGet]: { request: GetAgentRequest, response: Agent },
} as const;
