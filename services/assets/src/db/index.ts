import type { Database } from '@media-vault/service-kit';
import * as schema from './schema.js';

export { schema };
export type AssetsDatabase = Database<typeof schema>;
