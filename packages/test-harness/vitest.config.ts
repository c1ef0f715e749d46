import { packageTestConfig } from './src/vitest-config.js';

export default packageTestConfig({ globalSetup: './test/global-setup.ts' });
