import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/database-errors.js';

const coded = (code: string, cause?: unknown) =>
  Object.assign(new Error(`failed (${code})`, { cause }), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', coded('ECONNREFUSED'), true],
    ['postgres.js lost its connection', coded('CONNECTION_CLOSED'), true],
    ['a server shutting down (57P01)', coded('57P01'), true],
    ['a server starting up (57P03)', coded('57P03'), true],
    ['a connection exception (08006)', coded('08006'), true],
    ['too many connections (53300)', coded('53300'), true],
    [
      'the driver error inside drizzle’s',
      new Error('Failed query', { cause: coded('ECONNRESET') }),
      true,
    ],
    ['a unique violation (23505)', coded('23505'), false],
    ['a syntax error (42601)', coded('42601'), false],
    ['a plain error', new Error('boom'), false],
    ['not an error', { code: 'ECONNREFUSED' }, false],
  ])('%s → %s', (_what, err, expected) => {
    expect(isDatabaseUnavailable(err)).toBe(expected);
  });
});
