import type { AppendAuditRequest } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  assertAppendable,
  auditDataProblem,
  MAX_AUDIT_DATA_BYTES,
} from '../src/audit/audit.rules.js';
import { principal } from './helpers.js';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { a: nested(depth - 1) });

describe('auditDataProblem', () => {
  it.each([
    ['an empty object', {}],
    ['text, numbers, booleans, null and arrays', { a: 'ü仙', b: -1.5, c: true, d: null, e: [1] }],
    ['a surrogate pair (an emoji)', { a: '😀' }],
    ['data nested 8 deep', nested(7)],
    ['just under the size limit', { a: 'x'.repeat(MAX_AUDIT_DATA_BYTES - 10) }],
  ])('accepts %s', (_name, data) => {
    expect(auditDataProblem(data)).toBeUndefined();
  });

  it.each([
    [
      'a NUL in a value',
      { a: { b: 'x\u0000y' } },
      'data.a.b: a NUL or a lone surrogate is not text',
    ],
    [
      'a lone high surrogate',
      { a: ['ok', '\ud800'] },
      'data.a[1]: a NUL or a lone surrogate is not text',
    ],
    [
      'a lone low surrogate',
      { 'odd name': '\udc00x' },
      'data["odd name"]: a NUL or a lone surrogate is not text',
    ],
    [
      'a NUL in a member name',
      { 'a\u0000': 1 },
      'data: a member name holds a NUL or a lone surrogate',
    ],
    [
      'a number JSON cannot write',
      { a: Number.POSITIVE_INFINITY },
      'data.a: Infinity is not a JSON number',
    ],
    ['data nested 9 deep', nested(9), 'data.a.a.a.a.a.a.a.a.a: nested deeper than 8'],
    [
      'more than the size limit',
      { a: 'x'.repeat(MAX_AUDIT_DATA_BYTES) },
      `data: ${MAX_AUDIT_DATA_BYTES + 8} bytes as JSON, more than ${MAX_AUDIT_DATA_BYTES}`,
    ],
  ])('refuses %s', (_name, data, message) => {
    expect(auditDataProblem(data)).toBe(message);
  });
});

describe('assertAppendable', () => {
  const alice = principal('alice');
  const request: AppendAuditRequest = {
    source_id: 4,
    entry_id: 'job-1:fetch',
    source_uuid: '283509238',
    kind: 'fetch',
    at: '2026-01-02T03:04:05.678Z',
    actor: { user_id: 'alice', agent: 'alice-agent' },
    data: { download_task_id: 6 },
    signature: { agent: 'alice-agent', signing_key: 'k'.repeat(43), value: 'v'.repeat(86) },
  };

  it('accepts an entry its actor appends, naming the agent that signed it', () => {
    expect(() => assertAppendable(alice, request)).not.toThrow();
  });

  it.each([
    [
      'another actor',
      { actor: { user_id: 'bob', agent: 'alice-agent' } },
      'actor.user_id: an entry is appended by its actor, and you are alice',
    ],
    ['no agent', { actor: { user_id: 'alice' } }, "actor.agent: an agent's entry names the agent"],
    [
      'a signer other than the actor',
      { signature: { ...request.signature, agent: 'other-agent' } },
      "signature.agent: other-agent is not the actor's agent alice-agent",
    ],
    [
      'a time that is not real',
      { at: '2026-02-30T03:04:05.678Z' },
      'at: 2026-02-30T03:04:05.678Z is not a real time',
    ],
    ['unstorable data', { data: { a: '\u0000' } }, 'data.a: a NUL or a lone surrogate is not text'],
  ])('refuses %s (400, naming the field)', (_name, change, message) => {
    expect(() => assertAppendable(alice, { ...request, ...change })).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});
