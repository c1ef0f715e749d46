import { packageTestConfig } from '@media-vault/test-harness/vitest-config';
import { mergeConfig } from 'vitest/config';

export default mergeConfig(packageTestConfig({ globalSetup: './test/global-setup.ts' }), {
  test: {
    // The streaming tests force garbage collection to see which input chunks are still held.
    execArgv: ['--expose-gc'],
  },
});
