import { packageTestConfig } from '@media-vault/test-harness/vitest-config';
import { mergeConfig } from 'vitest/config';

// Every worker a test file starts joins the same durable consumers on the one JOBS stream, so a
// worker from another file could take a job a test is waiting on: files run one after another.
export default mergeConfig(packageTestConfig({ globalSetup: './test/global-setup.ts' }), {
  test: { fileParallelism: false },
});
