import type { Static, TSchema } from '@sinclair/typebox';
import { AgentCommands, AgentCommandSubjects } from './agents.js';
import { AudioAssetCommands, AudioAssetCommandSubjects } from './audio-assets.js';
import { MasterTaskCommands, MasterTaskCommandSubjects } from './master-tasks.js';

/** Every command subject, `svc.<service>.<op>`, by name. */
export const CommandSubjects = {
  ...AgentCommandSubjects,
  ...MasterTaskCommandSubjects,
  ...AudioAssetCommandSubjects,
} as const;

export type CommandSubject = (typeof CommandSubjects)[keyof typeof CommandSubjects];

/** Request and reply schema of every command, keyed by subject: the bus's whole vocabulary. */
export const Commands = {
  ...AgentCommands,
  ...MasterTaskCommands,
  ...AudioAssetCommands,
} as const satisfies Record<CommandSubject, { request: TSchema; response: TSchema }>;

export type CommandRequest<S extends CommandSubject> = Static<(typeof Commands)[S]['request']>;
export type CommandResponse<S extends CommandSubject> = Static<(typeof Commands)[S]['response']>;

/** Commands served by one service: those whose subject starts with `svc.<service>.`. */
export type CommandsOf<P extends string> = Extract<CommandSubject, `svc.${P}.${string}`>;
