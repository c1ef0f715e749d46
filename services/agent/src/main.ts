import { runMain } from '@media-vault/service-kit';
import { startAgentService } from './agent-service.js';
import { loadAgentConfig } from './config.js';

await runMain(async () => (await startAgentService(loadAgentConfig())).runtime);
