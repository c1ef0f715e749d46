import {
  AudioAssetCommandSubjects as S,
  type AssetStatus,
  type Principal,
} from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  makeMp3,
  person,
  PipelineStack,
  refusal,
  REVIEWER,
  ROOT,
  sha256,
  type MediaFile,
} from './pipeline-stack.js';

/**
 * Who sees which asset in Get, Find and Download, with real files behind the assets (DELETE
 * included), and how Find filters and pages. Every command × role × owner outcome is in
 * assets-permissions.nats.test.ts; the gateway maps notFound to 404 one to one.
 */

type Role = 'plain' | 'assets' | 'reviewer' | 'root';
const ROLES: Record<Role, number[]> = {
  plain: [],
  assets: [ASSETS],
  reviewer: [REVIEWER],
  root: [ROOT],
};
const STATUSES: AssetStatus[] = ['DRAFT', 'SUBMIT', 'POST', 'REJECT', 'DISABLE', 'DELETE'];

/** Anyone signed in sees POST; owners their own; reviewers and root all; nobody DELETE. */
const visible = (status: AssetStatus, role: Role, owner: boolean) =>
  status !== 'DELETE' && (status === 'POST' || owner || role === 'reviewer' || role === 'root');

describe('audio asset visibility in Get, Find and Download', () => {
  let stack: PipelineStack;
  let source: MediaFile;
  const run = Date.now().toString(36);
  // An owner of their own, so Find by owner lists exactly these fixtures.
  const viewOwner: Principal = { id: `viewed-${run}`, name: 'viewed', roles: [ASSETS] };
  const otherId = `other-${run}`;
  const reviewer = person('reviewer', [REVIEWER]);
  const ids = new Map<AssetStatus, string>();

  /** A new asset of the view owner's in `status`; merged ones are copies of `source`. */
  const make = async (status: AssetStatus): Promise<string> => {
    if (status === 'DRAFT') {
      return (
        await stack.create(viewOwner, {
          name: 'draft.mp3',
          size: 1000,
          hash: sha256(randomBytes(16)),
        })
      ).id;
    }
    const copy = await stack.create(viewOwner, {
      name: 'copy.mp3',
      size: source.bytes.length,
      hash: source.hash,
    });
    expect(copy.exists).toBe(true);
    const id = copy.id;
    if (status === 'REJECT') await stack.command(reviewer, S.assetReject, { id, reason: 'no' });
    if (status === 'POST' || status === 'DISABLE' || status === 'DELETE') {
      await stack.command(reviewer, S.assetResolve, { id });
    }
    if (status === 'DISABLE') await stack.command(reviewer, S.assetDisable, { id });
    if (status === 'DELETE') await stack.command(reviewer, S.assetDelete, { id });
    return id;
  };

  beforeAll(async () => {
    stack = await PipelineStack.start();
    source = await makeMp3(stack.dir, { seconds: 3 });
    const seed = await stack.ingest(viewOwner, 'seed.mp3', source);
    for (const status of STATUSES) ids.set(status, await make(status));
    // The seed was only there to copy from: gone, it leaves exactly the fixtures listed.
    await stack.command(reviewer, S.assetResolve, { id: seed.id });
    await stack.command(reviewer, S.assetDelete, { id: seed.id });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('Find filters by status, name and owner, and pages with a total', async () => {
    const root = person('root', [ROOT]);
    const find = (query: {
      status?: AssetStatus;
      name?: string;
      offset?: number;
      limit?: number;
    }) => stack.command(root, S.assetFind, { owner: viewOwner.id, ...query });
    expect((await find({ status: 'POST' })).items.map((a) => a.id)).toEqual([ids.get('POST')]);
    expect((await find({ name: 'COPY' })).total).toBe('4');
    expect((await find({ name: 'draft' })).items.map((a) => a.id)).toEqual([ids.get('DRAFT')]);
    const all = await find({ limit: 100 });
    expect(all.total).toBe('5');
    // Newest first; offset and limit page through the same order.
    const ordered = all.items.map((a) => a.id);
    expect(ordered).toEqual([...ordered].sort((a, b) => Number(b) - Number(a)));
    const second = await find({ offset: 2, limit: 2 });
    expect(second.total).toBe('5');
    expect(second.items.map((a) => a.id)).toEqual(ordered.slice(2, 4));
    // A plain user filtering on someone else's SUBMIT sees nothing.
    const plain: Principal = { id: otherId, name: otherId, roles: [] };
    expect(
      await stack.command(plain, S.assetFind, { owner: viewOwner.id, status: 'SUBMIT' }),
    ).toEqual({ items: [], total: '0' });
  });

  const callers = (Object.keys(ROLES) as Role[]).flatMap((role) =>
    [true, false].map((owner) => ({ role, owner })),
  );

  it.each(callers)('as $role, owner: $owner', async ({ role, owner }) => {
    const id0 = owner ? viewOwner.id : otherId;
    const p: Principal = { id: id0, name: id0, roles: ROLES[role] };
    const expectedIds: string[] = [];
    for (const status of STATUSES) {
      const id = ids.get(status)!;
      const shown = visible(status, role, owner);
      if (shown) expectedIds.push(id);

      if (shown) {
        expect(await stack.get(p, id), status).toMatchObject({ id, status });
      } else {
        expect(await refusal(stack.get(p, id)), status).toEqual({
          kind: 'notFound',
          message: `audio asset ${id} not found`,
        });
      }

      if (shown && status !== 'DRAFT') {
        expect(sha256(await stack.download(p, id, 0)), status).toBe(source.hash);
      } else if (shown) {
        // A draft has no files yet: not found, saying so to someone who may see it.
        const refused = await refusal(stack.download(p, id, 0));
        expect(refused.kind).toBe('notFound');
        expect(refused.message).toMatch(/has no file=0 yet; it is DRAFT/);
      } else {
        expect(await refusal(stack.download(p, id, 0)), status).toEqual({
          kind: 'notFound',
          message: `audio asset ${id} not found`,
        });
      }
    }

    const found = await stack.command(p, S.assetFind, { owner: viewOwner.id, limit: 100 });
    expect(found.items.map((a) => a.id).sort()).toEqual(expectedIds.sort());
    expect(found.total).toBe(String(expectedIds.length));
  });
});
