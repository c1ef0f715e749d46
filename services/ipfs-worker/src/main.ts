import { runMain } from '@media-vault/service-kit';
import { loadIpfsWorkerConfig } from './config.js';
import { startIpfsWorker } from './ipfs-worker.js';

await runMain(async () => (await startIpfsWorker(loadIpfsWorkerConfig())).runtime);
