import type {} from 'vitest';
import type { ServerUrls } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    servers: ServerUrls;
  }
}
