import { runMain } from '@media-vault/service-kit';
import { loadAssetsConfig } from './config.js';
import { startAssetsService } from './assets-service.js';

await runMain(async () => (await startAssetsService(loadAssetsConfig())).runtime);
