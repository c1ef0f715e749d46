import { describe, expect, it } from 'vitest';
import { assertIngestPath, assertSealRequest } from '../src/master/ingest-path.rules.js';

const RELATIVE = "path: must be relative to the agent's ingest root";
const DOTDOT = 'path: must not contain ".." segments';
const A_FILE = 'path: must name a file';

describe('assertIngestPath', () => {
  it.each([
    'master.mov',
    'studio/ep21/master.mov',
    './master.mov',
    'a/./b.mov',
    'a..b/c.mov',
    '...',
    'dir/',
  ])('accepts %j', (path) => {
    expect(() => assertIngestPath(path)).not.toThrow();
  });

  it.each([
    ['/etc/passwd', RELATIVE],
    ['//server/share', RELATIVE],
    ['~/x', RELATIVE],
    ['~root/x', RELATIVE],
    ['C:/x', RELATIVE],
    ['c:x', RELATIVE],
    ['a/../../b', DOTDOT],
    ['..', DOTDOT],
    ['a/..', DOTDOT],
    ['', A_FILE],
    ['.', A_FILE],
    ['./', A_FILE],
    ['././/.', A_FILE],
  ])('refuses %j: %s', (path, message) => {
    expect(() => assertIngestPath(path)).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});

describe('assertSealRequest', () => {
  const TOGETHER =
    'path and agent go together: send both to have your agent seal the master, or neither';

  it.each([{}, { path: 'a.mov', agent: 'agent-1' }])('accepts %j', (body) => {
    expect(() => assertSealRequest(body)).not.toThrow();
  });

  it.each([
    [{ path: 'a.mov' }, TOGETHER],
    [{ agent: 'agent-1' }, TOGETHER],
    [{ path: '/a.mov' }, TOGETHER],
    [{ path: '/a.mov', agent: 'agent-1' }, RELATIVE],
    [{ path: '../a.mov', agent: 'agent-1' }, DOTDOT],
  ])('refuses %j: %s', (body, message) => {
    expect(() => assertSealRequest(body)).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});
