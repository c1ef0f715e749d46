import { runMain } from '@media-vault/service-kit';
import { loadMediaWorkerConfig } from './config.js';
import { startMediaWorker } from './media-worker.js';

await runMain(async () => (await startMediaWorker(loadMediaWorkerConfig())).runtime);
