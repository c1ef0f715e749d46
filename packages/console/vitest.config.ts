import { defineConfig } from 'vitest/config';

// The browser journeys start the whole platform and drive Chromium: one file at a time, slowly.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
