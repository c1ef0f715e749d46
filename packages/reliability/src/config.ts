/**
 * The environment the run's child processes inherit (PATH, HOME, the tool cache's location):
 * the one place this package reads it.
 */
export const inheritedEnv = (): NodeJS.ProcessEnv => ({ ...process.env });
