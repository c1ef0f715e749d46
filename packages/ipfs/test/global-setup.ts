import { globalSetupFor } from '@media-vault/test-harness/vitest';

// One real Kubo daemon for the whole run; its RPC URL reaches the tests as inject('servers').kuboApiUrl.
export default globalSetupFor({ kubo: true });
