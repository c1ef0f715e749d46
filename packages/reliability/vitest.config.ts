import { packageTestConfig } from '@media-vault/test-harness/vitest-config';

export default packageTestConfig();
