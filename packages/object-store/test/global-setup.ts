import { globalSetupFor } from '@media-vault/test-harness';

export default globalSetupFor({ nats: true, s3: true });
