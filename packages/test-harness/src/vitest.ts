import type { TestProject } from 'vitest/node';
import { startServers, type ServerChoice } from './servers.js';
import './vitest-context.js';

/**
 * A vitest global set-up that starts the chosen real servers once per test run and hands their
 * URLs to the tests through `inject('servers')`. Usage in `test/global-setup.ts`:
 * `export default globalSetupFor({ postgres: true, nats: true });`
 */
export const globalSetupFor =
  (choice: ServerChoice) =>
  async (project: TestProject): Promise<() => Promise<void>> => {
    const servers = await startServers(choice);
    project.provide('servers', servers.urls);
    return () => servers.stop();
  };
