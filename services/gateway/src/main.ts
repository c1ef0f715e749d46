import { runMain } from '@media-vault/service-kit';
import { loadGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

await runMain(() => buildGateway(loadGatewayConfig()));
