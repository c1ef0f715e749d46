/**
 * Prints a development token: `npm run token -- --user <id> [--roles 1,100] [--name <name>]
 * [--ttl 12h]` (at most 24h). It is signed with JWT_SECRET, or the development secret `npm run dev`
 * uses, and carries JWT_ISSUER and JWT_AUDIENCE when they are set.
 */
import { commandLine, usageError } from './command-line.js';
import { DEV_MAX_TOKEN_TTL_SECONDS } from './dev-defaults.js';
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
const ttl = /^(\d+)([smhd])$/.exec(values.ttl);
if (!ttl) fail(`--ttl must look like 30m, 12h or 7d, got "${values.ttl}"`);
const seconds =
  Number(ttl[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[ttl[2] as 's' | 'm' | 'h' | 'd'];
if (seconds < 1 || seconds > DEV_MAX_TOKEN_TTL_SECONDS) {
  fail(`--ttl must be between 1s and 24h, got "${values.ttl}"`);
}

console.log(await signDevToken({ user, name: values.name, roles, ttl: values.ttl }));
