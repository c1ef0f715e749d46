import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/log-line.ts', import.meta.url));
const node = [process.execPath, '--import', 'tsx', fixture];
// eslint-disable-next-line no-control-regex -- colour codes are exactly what is stripped here
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

describe('createLogger', () => {
  it('writes one JSON object a line when stdout is a pipe, as collectors read it', () => {
    const out = execFileSync(node[0]!, node.slice(1), { encoding: 'utf8' });
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, service: 'demo', jobId: 'j-1', msg: 'merge finished' });
  });

  it('writes a readable line when stdout is a terminal, as under npm run dev', () => {
    // util-linux `script` runs the command on a pseudo-terminal and copies what it printed.
    const out = execFileSync('script', ['-qec', node.join(' '), '/dev/null'], {
      encoding: 'utf8',
    });
    const text = plain(out);
    expect(text).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(demo\): merge finished\r?\n\s+jobId: "j-1"/,
    );
    expect(() => JSON.parse(text.trim())).toThrow();
  });
});
