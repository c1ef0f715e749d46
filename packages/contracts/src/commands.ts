import type { Static, TSchema } from '@sinclair/typebox';
import { AgentCommands, AgentCommandSubjects } from './agents.js';
import { AuditCommands, AuditCommandSubjects } from './audit.js';
import { AudioAssetCommands, AudioAssetCommandSubjects } from './audio-assets.js';
import { MasterTaskCommands, MasterTaskCommandSubjects } from './master-tasks.js';

/** Every command subject, `svc.<service>.<op>`, by name. */
export const CommandSubjects = {
  ...AgentCommandSubjects,
  ...MasterTaskCommandSubjects,
  ...AuditCommandSubjects,
  ...AudioAssetCommandSubjects,
} as const;

export type CommandSubject = (typeof CommandSubjects)[keyof typeof CommandSubjects];

/** Request and reply schema of every command, keyed by subject: the bus's whole vocabulary. */
export const Commands = {
  ...AgentCommands,
  ...MasterTaskCommands,
  ...AuditCommands,
  ...AudioAssetCommands,
} as const satisfies Record<CommandSubject, { request: TSchema; response: TSchema }>;

export type CommandRequest<S extends CommandSubject> = Static<(typeof Commands)[S]['request']>;
export type CommandResponse<S extends CommandSubject> = Static<(typeof Commands)[S]['response']>;
/** The request a command subject takes. */
export type CommandOf<S extends CommandSubject> = CommandRequest<S>;
/** The reply a command subject answers with. */
export type ReplyOf<S extends CommandSubject> = CommandResponse<S>;

/** Commands served by one service: those whose subject starts with `svc.<service>.`. */
export type CommandsOf<P extends string> = Extract<CommandSubject, `svc.${P}.${string}`>;
