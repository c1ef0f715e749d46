import { packageTestConfig } from '@media-vault/test-harness/vitest-config';

// Real ffmpeg and ffprobe from the PATH; no servers.
export default packageTestConfig();
