import { ConfigError } from '@media-vault/service-kit';
import { loadTasksConfig } from './config.js';
import { startTasksService } from './tasks-service.js';

try {
  const service = await startTasksService(loadTasksConfig());
  service.runtime.lifecycle.handleSignals();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
