import { ConfigError } from '@media-vault/service-kit';
import { loadGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

try {
  const gateway = await buildGateway(loadGatewayConfig());
  const onSignal = () => void gateway.close().then(() => process.exit(0));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
