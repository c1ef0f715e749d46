import { describe, expect, it } from 'vitest';
import { maySeeEvent, resumeSequence } from '../src/console/event-visibility.rules.js';
import {
  cookieValue,
  csrfMatches,
  csrfTokenOf,
  isSafeMethod,
  sessionCookie,
} from '../src/console/session.rules.js';

const alice = { id: 'alice', name: 'a', roles: [100] };
const reviewer = { id: 'rev', name: 'r', roles: [120] };
const root = { id: 'root', name: 'r', roles: [1] };
const studio = { id: 'studio', name: 's', roles: [] };

describe('which live events a caller sees', () => {
  const asset = (userId: string, status: string, previous: string | null) => ({
    status,
    previous_status: previous,
    record: { userId },
  });
  it.each([
    // [who, subject, event, visible]
    [alice, 'events.assets.audio.1', asset('alice', 'DRAFT', null), true],
    [alice, 'events.assets.audio.2', asset('bob', 'SUBMIT', 'MERGING'), false],
    [reviewer, 'events.assets.audio.2', asset('bob', 'SUBMIT', 'MERGING'), true],
    [reviewer, 'events.assets.audio.2', asset('bob', 'REJECT', 'SUBMIT'), true],
    [reviewer, 'events.assets.audio.3', asset('bob', 'DRAFT', null), false],
    [reviewer, 'events.assets.audio.3', asset('bob', 'POST', 'DISABLE'), false],
    [root, 'events.assets.audio.3', asset('bob', 'DRAFT', null), true],
    [studio, 'events.tasks.upload.4', { status: 3, record: { user_id: 'studio' } }, true],
    // A source's audit log is its owner's, whoever's agent appended the entry.
    [studio, 'events.tasks.audit.4', { source_owner: 'studio', record: {} }, true],
    [alice, 'events.tasks.audit.4', { source_owner: 'studio', record: {} }, false],
    [root, 'events.tasks.audit.4', { source_owner: 'studio', record: {} }, true],
    [studio, 'events.tasks.download.5', { status: 4, record: { user_id: 'studio' } }, true],
    [studio, 'events.tasks.private.6', { status: 3, record: { user_id: 'studio' } }, true],
    [studio, 'events.tasks.upload.7', { status: 3, record: { user_id: 'other' } }, false],
    [reviewer, 'events.tasks.upload.7', { status: 3, record: { user_id: 'other' } }, false],
    [studio, 'events.tasks.grant.8', { record: { user_id: 'x', granted_by: 'studio' } }, true],
    [studio, 'events.tasks.grant.8', { record: { user_id: 'studio', granted_by: 'x' } }, true],
    [studio, 'events.tasks.grant.8', { record: { user_id: 'x', granted_by: 'y' } }, false],
    [studio, 'events.tasks.agent.a1', { record: { user_id: 'studio' } }, false],
    [root, 'events.tasks.agent.a1', { record: {} }, true],
    [alice, 'events.other.thing', { record: { userId: 'alice', user_id: 'alice' } }, false],
  ])('%#: %o on %s', (who, subject, event, visible) => {
    expect(maySeeEvent(who, subject, event)).toBe(visible);
  });

  it('reads Last-Event-ID as a positive stream sequence only', () => {
    expect(resumeSequence('42')).toBe(42);
    expect(resumeSequence('0')).toBeUndefined();
    expect(resumeSequence('-1')).toBeUndefined();
    expect(resumeSequence('4x')).toBeUndefined();
    expect(resumeSequence('1234567890123456')).toBeUndefined();
    expect(resumeSequence(undefined)).toBeUndefined();
    expect(resumeSequence(['1'])).toBeUndefined();
  });
});

describe('console session rules', () => {
  it('derives the CSRF token from the session token (sha256, base64url)', () => {
    expect(csrfTokenOf('abc.def.ghi')).toBe('iVfKQIaYCKIaP9bOEO3kdXBNaVyyyZBBd8qhZflIlcY');
    expect(csrfMatches('abc.def.ghi', 'iVfKQIaYCKIaP9bOEO3kdXBNaVyyyZBBd8qhZflIlcY')).toBe(true);
    expect(csrfMatches('abc.def.ghj', 'iVfKQIaYCKIaP9bOEO3kdXBNaVyyyZBBd8qhZflIlcY')).toBe(false);
    expect(csrfMatches('abc.def.ghi', 'short')).toBe(false);
    expect(csrfMatches('abc.def.ghi', undefined)).toBe(false);
  });

  it('lets only methods that change nothing pass without the CSRF header', () => {
    expect(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'].map(isSafeMethod)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads one cookie and writes the session cookie HttpOnly and SameSite=Strict', () => {
    expect(cookieValue('a=1; mv_session=tok.en; b=2', 'mv_session')).toBe('tok.en');
    expect(cookieValue('xmv_session=1', 'mv_session')).toBeUndefined();
    expect(cookieValue(undefined, 'mv_session')).toBeUndefined();
    expect(sessionCookie('t', 3600.7, false)).toBe(
      'mv_session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600',
    );
    expect(sessionCookie('', -5, true)).toBe(
      'mv_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure',
    );
  });
});
