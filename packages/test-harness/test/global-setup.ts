import { globalSetupFor } from '../src/vitest.js';

// Postgres for describeOnDatabases; the NATS and Postgres tests start servers of their own.
export default globalSetupFor({ postgres: true });
