import { ConfigError } from '@media-vault/service-kit';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';

const secret = 'a-secret-of-at-least-16-chars';
const signing = { PRINCIPAL_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64') };

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadGatewayConfig({ ...signing, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('loadGatewayConfig', () => {
  it('applies the defaults', () => {
    const config = loadGatewayConfig({ ...signing, JWT_SECRET: secret });
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '0.0.0.0',
      BODY_LIMIT: 1_048_576,
      COMMAND_TIMEOUT_MS: 10_000,
      JWT_PUBLIC_KEY_ALGORITHM: 'EdDSA',
      NATS_URL: 'nats://127.0.0.1:4222',
    });
    // The gateway serves HTTP itself and has no separate health port.
    expect(config).not.toHaveProperty('HEALTH_PORT');
  });

  it('converts numbers and accepts port 0', () => {
    const config = loadGatewayConfig({
      ...signing,
      JWT_SECRET: secret,
      PORT: '0',
      BODY_LIMIT: '2048',
    });
    expect(config.PORT).toBe(0);
    expect(config.BODY_LIMIT).toBe(2048);
  });

  it('refuses to start without a way to verify tokens, naming JWT_SECRET', () => {
    const message = problemsOf({});
    expect(message).toContain('JWT_SECRET');
    expect(message).toContain('JWT_PUBLIC_KEY');
    expect(message).toContain('JWKS_URL');
    // An empty value counts as unset.
    expect(problemsOf({ JWT_SECRET: '' })).toContain('JWT_SECRET');
  });

  it('accepts a public key or a JWKS URL instead of the secret', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----';
    expect(loadGatewayConfig({ ...signing, JWT_PUBLIC_KEY: pem }).JWT_PUBLIC_KEY).toBe(pem);
    expect(loadGatewayConfig({ ...signing, JWKS_URL: 'https://id.example/jwks' }).JWKS_URL).toBe(
      'https://id.example/jwks',
    );
  });

  it('refuses to start without the key that signs callers for the services', () => {
    expect(() => loadGatewayConfig({ JWT_SECRET: secret })).toThrow(/PRINCIPAL_SIGNING_KEY/);
    expect(() =>
      loadGatewayConfig({ JWT_SECRET: secret, PRINCIPAL_SIGNING_KEY: 'too-short' }),
    ).toThrow(/PRINCIPAL_SIGNING_KEY/);
  });

  it('names a secret that is too short', () => {
    expect(problemsOf({ JWT_SECRET: 'short' })).toMatch(/JWT_SECRET: .*"short"/);
  });

  it.each(['eighty', '-1', '65536', '80abc'])('names a bad PORT (%s)', (port) => {
    const message = problemsOf({ JWT_SECRET: secret, PORT: port });
    expect(message).toContain('PORT');
    expect(message).toContain(JSON.stringify(port));
  });

  it('refuses to start in production without the issuer and audience to check, naming both', () => {
    const message = problemsOf({ JWT_SECRET: secret, NODE_ENV: 'production' });
    expect(message).toContain('JWT_ISSUER: must be set when NODE_ENV=production');
    expect(message).toContain('JWT_AUDIENCE: must be set when NODE_ENV=production');
    expect(
      problemsOf({ JWT_SECRET: secret, NODE_ENV: 'production', JWT_ISSUER: 'https://id/' }),
    ).not.toContain('JWT_ISSUER');
    const config = loadGatewayConfig({
      ...signing,
      JWT_SECRET: secret,
      NODE_ENV: 'production',
      JWT_ISSUER: 'https://id.example/',
      JWT_AUDIENCE: 'media-vault-api',
    });
    expect(config).toMatchObject({
      JWT_ISSUER: 'https://id.example/',
      JWT_MAX_LIFETIME_SECONDS: 86_400,
    });
    // Outside production both stay optional.
    expect(loadGatewayConfig({ ...signing, JWT_SECRET: secret }).JWT_ISSUER).toBeUndefined();
  });

  it('takes a maximum token lifetime of at least a minute', () => {
    expect(
      loadGatewayConfig({ ...signing, JWT_SECRET: secret, JWT_MAX_LIFETIME_SECONDS: '3600' })
        .JWT_MAX_LIFETIME_SECONDS,
    ).toBe(3600);
    expect(problemsOf({ JWT_SECRET: secret, JWT_MAX_LIFETIME_SECONDS: '10' })).toContain(
      'JWT_MAX_LIFETIME_SECONDS',
    );
  });

  it('names every bad variable at once', () => {
    const message = problemsOf({
      JWT_SECRET: secret,
      PORT: 'x',
      BODY_LIMIT: '10',
      JWKS_URL: 'ftp://nope',
      JWT_PUBLIC_KEY_ALGORITHM: 'HS256',
    });
    for (const name of ['PORT', 'BODY_LIMIT', 'JWKS_URL', 'JWT_PUBLIC_KEY_ALGORITHM']) {
      expect(message).toContain(name);
    }
  });
});
