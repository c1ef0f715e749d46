import { ensureStreams } from '@media-vault/nats-admin';
import { BaseConfig, connectNats, createLogger, loadConfig } from '@media-vault/service-kit';
import { Type } from '@sinclair/typebox';

const ProvisionConfig = Type.Object({
  NATS_URL: BaseConfig.NATS_URL,
  NATS_CREDS: BaseConfig.NATS_CREDS,
  NATS_CA_FILE: BaseConfig.NATS_CA_FILE,
  STREAM_REPLICAS: BaseConfig.STREAM_REPLICAS,
  LOG_LEVEL: BaseConfig.LOG_LEVEL,
});

/** Creates EVENTS and JOBS, or brings their settings up to date, as the NATS admin; then exits. */
export async function provisionStreams(): Promise<void> {
  const config = loadConfig(ProvisionConfig);
  const log = createLogger('provision-streams', config.LOG_LEVEL);
  const nc = await connectNats(
    {
      servers: config.NATS_URL,
      name: 'provision-streams',
      credsFile: config.NATS_CREDS,
      caFile: config.NATS_CA_FILE,
    },
    log,
  );
  try {
    await ensureStreams(nc, { replicas: config.STREAM_REPLICAS });
    log.info({ replicas: config.STREAM_REPLICAS }, 'streams provisioned');
  } finally {
    await nc.close();
  }
}
