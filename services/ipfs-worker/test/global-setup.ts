import { globalSetupFor } from '@media-vault/test-harness/vitest';

export default globalSetupFor({ nats: true, kubo: true });
