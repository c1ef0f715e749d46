import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { BaseConfig, ConfigError, loadConfig } from '../src/config.js';

const Schema = Type.Object({
  ...BaseConfig,
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
});

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(Schema, { PORT: '9000' });
    expect(config.PORT).toBe(9000);
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(Schema, { PORT: 'eighty', NATS_URL: 'http://x', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    expect(text).toContain('PORT');
    expect(text).toContain('NATS_URL');
    expect(text).toContain('LOG_LEVEL');
    expect(text).toContain('"eighty"');
  });

  it('refuses a fractional number instead of truncating it', () => {
    expect(() => loadConfig(Schema, { PORT: '80.5' })).toThrow(
      /PORT: Expected integer \(got "80.5"\)/,
    );
  });
});
