import { CommandSubjects } from '@media-vault/contracts';
import type { CommandHandler, OutboxRelay } from '@media-vault/service-kit';
import type { Agents } from './agents.use-case.js';

type AgentSubjects =
  | typeof CommandSubjects.agentRegister
  | typeof CommandSubjects.agentList
  | typeof CommandSubjects.agentGet;

export const agentHandlers = (
  agents: Agents,
  relay: Pick<OutboxRelay, 'notify'>,
): { [S in AgentSubjects]: CommandHandler<S> } => ({
  [CommandSubjects.agentRegister]: async (body, { principal }) => {
    const { agent, changed } = await agents.register(principal, body);
    if (changed) relay.notify();
    return agent;
  },
  [CommandSubjects.agentList]: async (_request, { principal }) => agents.listForUser(principal.id),
  [CommandSubjects.agentGet]: async ({ id }) => agents.get(id),
});
