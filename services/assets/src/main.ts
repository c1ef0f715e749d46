import { ConfigError } from '@media-vault/service-kit';
import { loadAssetsConfig } from './config.js';
import { startAssetsService } from './assets-service.js';

try {
  const service = await startAssetsService(loadAssetsConfig());
  service.runtime.lifecycle.handleSignals();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
