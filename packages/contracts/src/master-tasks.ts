/**
 * Seed 000 film master tasks: sources, upload/download/private-upload tasks and grants, owned by
 * the tasks service.
 */
export const MasterTaskCommandSubjects = {} as const;

export const MasterTaskCommands = {} as const;
