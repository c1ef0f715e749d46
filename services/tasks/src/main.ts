import { runMain } from '@media-vault/service-kit';
import { loadTasksConfig } from './config.js';
import { provisionStreams } from './provision-streams.js';
import { startTasksService } from './tasks-service.js';

// `provision-streams`: the one-off admin step before the services start (a Kubernetes Job runs
// this image with the admin's creds); the services' own NATS users may only look streams up.
if (process.argv[2] === 'provision-streams') await provisionStreams();
else await runMain(async () => (await startTasksService(loadTasksConfig())).runtime);
