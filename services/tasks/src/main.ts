import { runMain } from '@media-vault/service-kit';
import { loadTasksConfig } from './config.js';
import { startTasksService } from './tasks-service.js';

await runMain(async () => (await startTasksService(loadTasksConfig())).runtime);
