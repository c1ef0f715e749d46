import { describe, expect, it } from 'vitest';
import { assertUsableKeys, sameRegistration } from '../src/agents/agent.rules.js';

const KEY = '+vf08e7r6OXi39zZ1tPQzcrHxMG+u7i1sq+sqaajoJ0=';
const KEY_URL = '-vf08e7r6OXi39zZ1tPQzcrHxMG-u7i1sq-sqaajoJ0';
const SHORT = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==';
const LONG = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8w';
const ZERO = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const body = (public_key: string, signing_key: string) => ({
  id: 'agent-1',
  peer_id: '12D3KooWpeer',
  public_key,
  signing_key,
});

describe('assertUsableKeys', () => {
  it.each([
    [KEY, KEY],
    [KEY_URL, KEY],
    [KEY, KEY_URL],
  ])('accepts %s and %s', (publicKey, signingKey) => {
    expect(() => assertUsableKeys(body(publicKey, signingKey))).not.toThrow();
  });

  it.each([
    [SHORT, KEY, 'public_key: must be a 32-byte key in base64'],
    [KEY, SHORT, 'signing_key: must be a 32-byte key in base64'],
    [LONG, KEY, 'public_key: must be a 32-byte key in base64'],
    [ZERO, KEY, 'public_key: an all-zero key cannot be used'],
    [KEY, ZERO, 'signing_key: an all-zero key cannot be used'],
    [ZERO, SHORT, 'public_key: an all-zero key cannot be used'],
  ])('refuses %s and %s: %s', (publicKey, signingKey, message) => {
    expect(() => assertUsableKeys(body(publicKey, signingKey))).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});

describe('sameRegistration', () => {
  const row = {
    peerId: 'peer-a',
    publicKey: 'pk',
    signingKey: 'sk',
    name: 'studio',
    ownerKey: 'ok',
  };
  const again = { id: 'agent-1', peer_id: 'peer-a', public_key: 'pk', signing_key: 'sk' };
  it.each([
    [again, true],
    [{ ...again, name: 'studio' }, true],
    [{ ...again, name: 'renamed' }, false],
    [{ ...again, name: '' }, false],
    [{ ...again, peer_id: 'peer-b' }, false],
    [{ ...again, public_key: 'pk2' }, false],
    [{ ...again, signing_key: 'sk2' }, false],
    [{ ...again, owner_key: 'ok' }, true],
    [{ ...again, owner_key: 'ok2' }, false],
  ])('%j: %s', (registration, expected) => {
    expect(sameRegistration(row, registration)).toBe(expected);
  });
});
