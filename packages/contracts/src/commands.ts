import type { Static, TSchema } from '@sinclair/typebox';
import { Agent, AgentList, ListAgentsRequest, RegisterAgentBody } from './agents.js';
import { CommandSubjects, type CommandSubject } from './subjects.js';

/** Request and reply schema of every command, keyed by subject: the bus's whole vocabulary. */
export const Commands = {
  [CommandSubjects.agentRegister]: { request: RegisterAgentBody, response: Agent },
  [CommandSubjects.agentList]: { request: ListAgentsRequest, response: AgentList },
} as const satisfies Record<CommandSubject, { request: TSchema; response: TSchema }>;

export type CommandRequest<S extends CommandSubject> = Static<(typeof Commands)[S]['request']>;
export type CommandResponse<S extends CommandSubject> = Static<(typeof Commands)[S]['response']>;

/** Commands served by one service: those whose subject starts with `svc.<service>.`. */
export type CommandsOf<P extends string> = Extract<CommandSubject, `svc.${P}.${string}`>;
