import { ConfigError } from '@media-vault/service-kit';
import { loadMediaWorkerConfig } from './config.js';
import { startMediaWorker } from './media-worker.js';

try {
  const service = await startMediaWorker(loadMediaWorkerConfig());
  service.runtime.lifecycle.handleSignals();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
