import { EventSubjects, type Agent, type AgentEvent } from '@media-vault/contracts';
import { newEventId, type OutboxEvent } from '@media-vault/service-kit';

/** A registration or a change of it; `previous` is null when the agent is new. */
export function agentRegisteredEvent(agent: Agent, previous: 'registered' | null): OutboxEvent {
  const payload: AgentEvent = {
    id: newEventId(),
    type: 'agent.registered',
    at: new Date().toISOString(),
    previous_status: previous,
    status: 'registered',
    record: agent,
  };
  return { subject: EventSubjects.agent(agent.id), payload };
}
