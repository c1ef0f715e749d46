/**
 * Prints a development token: `npm run token -- --user <id> [--roles 1,100] [--name <name>]
 * [--ttl 12h]`. It is signed with JWT_SECRET, or the development secret `npm run dev` uses.
 */
import { commandLine, usageError } from './command-line.js';
import { signDevToken } from './dev-token.js';

const usage = 'usage: npm run token -- --user <id> [--roles <r,...>] [--name <name>] [--ttl 12h]';

const fail: (message: string) => never = (message) => usageError(usage, message);
const values = commandLine(
  {
    user: { type: 'string' },
    roles: { type: 'string', default: '' },
    name: { type: 'string' },
    ttl: { type: 'string', default: '12h' },
  },
  usage,
);
const user = values.user;
if (!user || !/^[A-Za-z0-9_.@-]{1,64}$/.test(user)) {
  fail('--user is required: 1-64 letters, digits or _ . @ -');
}
const roleText = values.roles.split(',').filter(Boolean);
const roles = roleText.map(Number);
if (roles.some((r) => !Number.isInteger(r))) fail(`--roles must be numbers, got "${values.roles}"`);
if (!/^\d+[smhd]$/.test(values.ttl))
  fail(`--ttl must look like 30m, 12h or 7d, got "${values.ttl}"`);

console.log(await signDevToken({ user, name: values.name, roles, ttl: values.ttl }));
