import { defineConfig } from 'vitest/config';

// Pure computation: no servers, so none of the test-harness set-up.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
