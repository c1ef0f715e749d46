import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * The vitest settings every package shares: tests that start real servers get generous
 * time-outs.
 */
export const packageTestConfig = (options: { globalSetup?: string } = {}): ViteUserConfig =>
  defineConfig({
    test: {
      globalSetup: options.globalSetup ? [options.globalSetup] : [],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    },
  });
