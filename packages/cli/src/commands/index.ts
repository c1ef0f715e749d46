import { agentBackup, agentRestore } from './agent-keys.js';
import { agents } from './agents.js';
import { audit } from './audit.js';
import type { CommandHandlers } from './context.js';
import { download } from './download.js';
import { grant, grants, revoke } from './grants.js';
import { privateList, privateRelease, privateWatch } from './private.js';
import { status } from './status.js';
import { upload } from './upload.js';

/** Every command's handler; the type makes a missing one a compile error. */
export const handlers: CommandHandlers = {
  upload,
  grant,
  grants,
  revoke,
  'private-list': privateList,
  'private-watch': privateWatch,
  'private-release': privateRelease,
  download,
  status,
  audit,
  agents,
  'agent-backup': agentBackup,
  'agent-restore': agentRestore,
};
