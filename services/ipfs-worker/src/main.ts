import { ConfigError } from '@media-vault/service-kit';
import { loadIpfsWorkerConfig } from './config.js';
import { startIpfsWorker } from './ipfs-worker.js';

try {
  const service = await startIpfsWorker(loadIpfsWorkerConfig());
  service.runtime.lifecycle.handleSignals();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
