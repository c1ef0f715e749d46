import { describe, expect, it } from 'vitest';
import { Commands, CommandSubjects, HttpBindings, responseStyleOfPath } from '../src/index.js';

describe('response style of a path no route answers', () => {
  it.each([
    ['/api/v1/assets/audio/nope', 'grpc'],
    ['/api/v1/assets/audio/resolve/1', 'grpc'],
    ['/api/v1/assets/video', 'grpc'],
    ['/api/v1/tasks/x/', 'envelope'],
    ['/api/v1/sources/1/nothing/', 'envelope'],
    ['/api/v1/nope/', 'envelope'],
    ['/api/v1/a', 'envelope'],
    ['/healthz', 'envelope'],
    ['/', 'envelope'],
  ])('%s → %s', (path, style) => {
    expect(responseStyleOfPath(HttpBindings, path)).toBe(style);
  });

  it('ignores the query string', () => {
    expect(responseStyleOfPath(HttpBindings, '/api/v1/assets/x?y=/api/v1/tasks')).toBe('grpc');
  });
});

describe('HTTP bindings', () => {
  it('bind only declared commands, each route once', () => {
    const commands = new Set<string>(Object.values(CommandSubjects));
    const routes = HttpBindings.flatMap((b) => b.paths.map((p) => `${b.method} ${p}`));
    for (const binding of HttpBindings) expect(commands.has(binding.subject)).toBe(true);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('bind every command except those behind the streaming routes', () => {
    const bound = new Set<string>(HttpBindings.map((b) => b.subject));
    const unbound = Object.values(CommandSubjects).filter((s) => !bound.has(s));
    expect(unbound.sort()).toEqual(['svc.assets.chunk.commit', 'svc.assets.download']);
  });

  it('declare every path parameter in the params schema', () => {
    for (const binding of HttpBindings) {
      for (const path of binding.paths) {
        const names = [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
        expect(Object.keys(binding.params?.properties ?? {}).sort(), path).toEqual(names.sort());
      }
    }
  });

  it('take an Idempotency-Key on both creates, each command declaring the field it goes in', () => {
    const keyed = HttpBindings.filter((b) => b.idempotencyKey).map((b) => b.subject);
    expect(keyed.sort()).toEqual(['svc.assets.create', 'svc.tasks.upload.create']);
    for (const subject of keyed) {
      const request = Commands[subject].request as { properties: Record<string, unknown> };
      expect(Object.keys(request.properties), subject).toContain('idempotency_key');
    }
  });

  it('answer seed 000 paths with the envelope and seed 002 paths in grpc-gateway style', () => {
    for (const binding of HttpBindings) {
      const seed002 = binding.paths.every((p) => p.startsWith('/api/v1/assets/'));
      expect(binding.style, binding.paths[0]).toBe(seed002 ? 'grpc' : 'envelope');
    }
  });

  it('let Reject take its reason from the query, as seed 002 declares no body for it', () => {
    const reject = HttpBindings.find((b) => b.subject === 'svc.assets.reject')!;
    expect(reject.paths).toEqual(['/api/v1/assets/audio/reject/:id']);
    expect(Object.keys(reject.query?.properties ?? {})).toEqual(['reason']);
    expect(reject.bodyOptional).toBe(true);
  });
});
