export { readSubject, subjectCount, waitFor } from '@media-vault/test-harness';
import { createLogger } from '../src/logger.js';

export const silentLog = createLogger('test', 'silent');
