import { globalSetupFor } from '@media-vault/test-harness/vitest';

// Postgres for the tasks service; each test file starts its own nats-server, gateway and tasks.
export default globalSetupFor({ postgres: true });
