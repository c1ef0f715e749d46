import { describe, expect, it } from 'vitest';
import { parseDuration, soakTrafficTable, type LoadRow } from '../src/load.js';

describe('parseDuration', () => {
  it.each([
    ['600', 600],
    ['600s', 600],
    ['10m', 600],
    ['1h', 3600],
    [' 90 ', 90],
    ['0', undefined],
    ['0m', undefined],
    ['10 m', undefined],
    ['1.5m', undefined],
    ['-5', undefined],
    ['10d', undefined],
    ['', undefined],
  ])('%j → %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('soakTrafficTable', () => {
  it('gives each minute its rate, the partial last one over its own seconds', () => {
    const row: LoadRow = {
      traffic: 'seed002',
      gateways: 2,
      connections: 10,
      seconds: 150,
      requests: 45_300,
      perSecond: 302,
      p50: 30,
      p99: 180,
      errorRate: 3 / 45_300,
      non2xx: 3,
      errors: 0,
      rss: [],
      minutes: [
        { requests: 18_000, bad: 0 },
        { requests: 18_300, bad: 3 },
        { requests: 9_000, bad: 0 },
      ],
      marks: [
        { index: 0, t: 0 },
        { index: 1, t: 150_000 },
      ],
    };
    expect(soakTrafficTable([row]).split('\n')[2]).toBe(
      '| seed002 | 2 | 10 | 150 | 45300 | 302 | 30 | 180 | 0.01 % | 300 305 300 | 0 3 0 |',
    );
  });
});
