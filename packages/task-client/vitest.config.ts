import { packageTestConfig } from '@media-vault/test-harness/vitest-config';

// The client's own tests answer from a local HTTP server; the gateway round trips are in the
// CLI's and the agent's suites.
export default packageTestConfig();
