import { globalSetupFor } from '@media-vault/test-harness';

export default globalSetupFor({ postgres: true, nats: true });
