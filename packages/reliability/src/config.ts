/**
 * The environment the run's child processes inherit (PATH, HOME, the tool cache's location):
 * the one place this package reads it.
 */
export const inheritedEnv = (): NodeJS.ProcessEnv => ({ ...process.env });

/**
 * Makes every node process the run starts from now on load `file` first (the run's own process
 * has started already). For flags NODE_OPTIONS refuses, such as `--trace-gc`, which a preloaded
 * module can still set.
 */
export function preloadInChildren(file: string): void {
  process.env.NODE_OPTIONS =
    `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(file)}`.trim();
}
