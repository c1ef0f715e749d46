import { globalSetupFor } from '@media-vault/test-harness/vitest';

export default globalSetupFor({ postgres: true, nats: true, kubo: true, s3: true });
