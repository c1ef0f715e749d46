import { openDatabase } from './database.js';
import { OutboxRelay } from './outbox.js';
import type { DatabaseDrivers } from './runtime.js';

/** What `createRuntime` needs to open a service's own tables and relay its outbox. */
export const databaseDrivers: DatabaseDrivers = { openDatabase, OutboxRelay };
