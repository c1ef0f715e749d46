import type { AssetStatus } from '@media-vault/contracts';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ASSETS,
  AudioStack,
  expectGrpcError,
  Grpc,
  makeMp3,
  REVIEWER,
  ROOT,
  sha256,
  type AssetPage,
  type MediaFile,
  type Reply,
} from './audio-helpers.js';

const run = Date.now().toString(36);
const ownerId = `owner-${run}`;
const otherId = `other-${run}`;
const reviewerId = `reviewer-${run}`;

type Role = 'plain' | 'assets' | 'reviewer' | 'root';
const ROLES: Record<Role, number[]> = {
  plain: [],
  assets: [ASSETS],
  reviewer: [REVIEWER],
  root: [ROOT],
};

/** What an rpc needs to exist before it is called. */
type Fixture = 'none' | 'draft' | 'uploaded' | 'merged' | 'submit' | 'post' | 'reject' | 'disable';

interface Call {
  readonly token: string | undefined;
  readonly id: string;
}

interface Rpc {
  readonly name: string;
  readonly fixture: Fixture;
  /** A 200 changes the fixture, so every allowed caller gets a fixture of its own. */
  readonly mutates: boolean;
  readonly call: (stack: AudioStack, c: Call) => Promise<Reply>;
  readonly expected: (role: Role, owner: boolean) => 200 | 403 | 404;
}

// SPEC §6 "who", plus §4: wrong role 403, another user's object 404 (root may act on any).
const uploader = (role: Role, owner: boolean) =>
  role === 'plain' || role === 'reviewer' ? 403 : role === 'root' || owner ? 200 : 404;
const uploaderNoObject = (role: Role) => (role === 'plain' || role === 'reviewer' ? 403 : 200);
/** Own lists take a uid: another user's list is forbidden, for root too. */
const ownList = (_role: Role, owner: boolean) => (owner ? 200 : 403);
/** Own deletes: another user's asset is not found, for root too. */
const ownDelete = (_role: Role, owner: boolean) => (owner ? 200 : 404);
const session = () => 200 as const;
const reviewers = (role: Role) => (role === 'reviewer' || role === 'root' ? 200 : 403);

const CHUNK_BYTES = 1000;
const chunkData = randomBytes(CHUNK_BYTES);

const rpcs: Rpc[] = [
  {
    name: 'Create',
    fixture: 'none',
    mutates: true,
    call: (s, c) => s.create(c.token!, { name: 'p.mp3', size: 10, hash: sha256(randomBytes(16)) }),
    expected: uploaderNoObject,
  },
  {
    name: 'Chunks',
    fixture: 'draft',
    mutates: false,
    call: (s, c) => s.chunks(c.token!, c.id),
    expected: uploader,
  },
  {
    name: 'Chunk (JSON)',
    fixture: 'draft',
    mutates: true,
    call: (s, c) => s.chunkJson(c.token!, c.id, 0, chunkData),
    expected: uploader,
  },
  {
    name: 'Chunk (raw)',
    fixture: 'draft',
    mutates: true,
    call: (s, c) => s.chunkFile(c.token!, c.id, 0, chunkData),
    expected: uploader,
  },
  {
    name: 'Merge',
    fixture: 'uploaded',
    mutates: true,
    call: (s, c) => s.merge(c.token!, c.id),
    expected: uploader,
  },
  {
    name: 'Submit',
    fixture: 'merged',
    mutates: true,
    call: (s, c) => s.http('POST', `/api/v1/assets/audio/submit/${c.id}`, { token: c.token }),
    expected: uploader,
  },
  {
    name: 'ListDraft',
    fixture: 'none',
    mutates: false,
    call: (s, c) => s.http('GET', `/api/v1/assets/audio/drafts/${ownerId}`, { token: c.token }),
    expected: ownList,
  },
  {
    name: 'DeleteDraft',
    fixture: 'draft',
    mutates: true,
    call: (s, c) => s.http('DELETE', `/api/v1/assets/audio/drafts/${c.id}`, { token: c.token }),
    expected: ownDelete,
  },
  {
    name: 'ListReject',
    fixture: 'none',
    mutates: false,
    call: (s, c) => s.http('GET', `/api/v1/assets/audio/rejects/${ownerId}`, { token: c.token }),
    expected: ownList,
  },
  {
    name: 'DeleteReject',
    fixture: 'reject',
    mutates: true,
    call: (s, c) => s.http('DELETE', `/api/v1/assets/audio/reject/${c.id}`, { token: c.token }),
    expected: ownDelete,
  },
  {
    name: 'Find',
    fixture: 'none',
    mutates: false,
    call: (s, c) => s.http('GET', '/api/v1/assets/audio', { token: c.token }),
    expected: session,
  },
  {
    name: 'ID',
    fixture: 'post',
    mutates: false,
    call: (s, c) => s.byId(c.token!, c.id),
    expected: session,
  },
  {
    name: 'Download',
    fixture: 'post',
    mutates: false,
    call: (s, c) => s.download(c.token!, c.id, 0),
    expected: session,
  },
  {
    name: 'Resolve',
    fixture: 'submit',
    mutates: true,
    call: (s, c) => s.review(c.token!, 'resolve', c.id),
    expected: reviewers,
  },
  {
    name: 'Reject',
    fixture: 'submit',
    mutates: true,
    call: (s, c) => s.reject(c.token!, c.id, 'not for us'),
    expected: reviewers,
  },
  {
    name: 'Disable',
    fixture: 'post',
    mutates: true,
    call: (s, c) => s.review(c.token!, 'disable', c.id),
    expected: reviewers,
  },
  {
    name: 'Recover',
    fixture: 'disable',
    mutates: true,
    call: (s, c) => s.review(c.token!, 'recover', c.id),
    expected: reviewers,
  },
  {
    name: 'Delete',
    fixture: 'post',
    mutates: true,
    call: (s, c) => s.http('DELETE', `/api/v1/assets/audio/${c.id}`, { token: c.token }),
    expected: reviewers,
  },
];

const cases = rpcs.flatMap((rpc) =>
  (Object.keys(ROLES) as Role[]).flatMap((role) =>
    [true, false].map((owner) => ({ rpc, role, owner, status: rpc.expected(role, owner) })),
  ),
);

describe('audio asset permissions: every rpc × role × owner', () => {
  let stack: AudioStack;
  let ownerToken: string;
  let reviewerToken: string;
  /** An mp3 each fixture owner uploaded once: their own Create of its hash is an instant copy. */
  let source: MediaFile;
  const shared = new Map<Fixture, Promise<string>>();

  /** A new asset of the owner's in the state the fixture names. */
  const make = async (fixture: Fixture, owner = ownerToken): Promise<string> => {
    const ok = <T>(res: Reply<T>): T => {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    switch (fixture) {
      case 'none':
        return '0';
      case 'draft': {
        const plan = ok(
          await stack.create(owner, {
            name: 'draft.mp3',
            size: CHUNK_BYTES,
            hash: sha256(randomBytes(16)),
          }),
        );
        return plan.id;
      }
      case 'uploaded': {
        const bytes = randomBytes(CHUNK_BYTES);
        const plan = ok(
          await stack.create(owner, { name: 'up.mp3', size: bytes.length, hash: sha256(bytes) }),
        );
        await stack.upload(owner, plan.id, bytes);
        return plan.id;
      }
      case 'merged':
        return (
          await stack.ingest(owner, 'merged.mp3', await makeMp3(stack.dir, { seconds: 2 }), {
            submit: false,
          })
        ).id;
      default: {
        const copy = ok(
          await stack.create(owner, {
            name: 'copy.mp3',
            size: source.bytes.length,
            hash: source.hash,
          }),
        );
        expect(copy.exists).toBe(true);
        const id = copy.id;
        if (fixture === 'reject') ok(await stack.reject(reviewerToken, id, 'no'));
        if (fixture === 'post' || fixture === 'disable') {
          ok(await stack.review(reviewerToken, 'resolve', id));
        }
        if (fixture === 'disable') ok(await stack.review(reviewerToken, 'disable', id));
        return id;
      }
    }
  };

  const fixtureFor = (rpc: Rpc, status: number): Promise<string> => {
    if (rpc.mutates && status === 200) return make(rpc.fixture);
    let id = shared.get(rpc.fixture);
    if (!id) {
      id = make(rpc.fixture);
      shared.set(rpc.fixture, id);
    }
    return id;
  };

  beforeAll(async () => {
    stack = await AudioStack.start();
    ownerToken = await stack.token(ownerId, [ASSETS]);
    reviewerToken = await stack.token(reviewerId, [REVIEWER]);
    source = await makeMp3(stack.dir, { seconds: 3 });
    await stack.ingest(ownerToken, 'seed.mp3', source);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each(cases)(
    '$rpc.name as $role, owner: $owner → $status',
    async ({ rpc, role, owner, status }) => {
      const id = await fixtureFor(rpc, status);
      const token = await stack.token(owner ? ownerId : otherId, ROLES[role]);
      const res = await rpc.call(stack, { token, id });
      if (status === 200) {
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      } else if (status === 403) {
        expectGrpcError(res, 403, Grpc.permissionDenied);
      } else {
        expectGrpcError(res, 404, Grpc.notFound, `audio asset ${id} not found`);
      }
    },
  );

  describe('without a valid token every rpc is 401', () => {
    const expired = async () =>
      new SignJWT({ roles: [ROOT] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(ownerId)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode('not the gateway secret at all'));
    it.each(rpcs)('$name', async (rpc) => {
      const id = await fixtureFor(rpc, 401);
      expectGrpcError(await rpc.call(stack, { token: undefined, id }), 401, Grpc.unauthenticated);
      expectGrpcError(await rpc.call(stack, { token: 'garbage', id }), 401, Grpc.unauthenticated);
      expectGrpcError(
        await rpc.call(stack, { token: await expired(), id }),
        401,
        Grpc.unauthenticated,
      );
    });
  });

  describe('visibility in ID, Find and Download', () => {
    const STATUSES: AssetStatus[] = ['DRAFT', 'SUBMIT', 'POST', 'REJECT', 'DISABLE', 'DELETE'];
    const ids = new Map<AssetStatus, string>();
    // An owner of their own, so Find by owner lists exactly these fixtures.
    const viewOwnerId = `viewed-${run}`;

    beforeAll(async () => {
      const viewOwner = await stack.token(viewOwnerId, [ASSETS]);
      const seed = await stack.ingest(viewOwner, 'seed.mp3', source);
      for (const status of STATUSES) {
        const fixture: Fixture = status === 'DELETE' ? 'post' : (status.toLowerCase() as Fixture);
        const id = await make(fixture, viewOwner);
        if (status === 'DELETE') {
          const res = await stack.http('DELETE', `/api/v1/assets/audio/${id}`, {
            token: reviewerToken,
          });
          expect(res.status).toBe(200);
        }
        ids.set(status, id);
      }
      // The seed was only there to copy from: gone, it leaves exactly the fixtures listed.
      expect((await stack.review(reviewerToken, 'resolve', seed.id)).status).toBe(200);
      const gone = await stack.http('DELETE', `/api/v1/assets/audio/${seed.id}`, {
        token: reviewerToken,
      });
      expect(gone.status).toBe(200);
    });

    /** Anyone signed in sees POST; owners their own; reviewers and root all; nobody DELETE. */
    const visible = (status: AssetStatus, role: Role, owner: boolean) =>
      status !== 'DELETE' && (status === 'POST' || owner || role === 'reviewer' || role === 'root');

    const callers = (Object.keys(ROLES) as Role[]).flatMap((role) =>
      [true, false].map((owner) => ({ role, owner })),
    );

    it('Find filters by status, name and owner, and pages with a total', async () => {
      const root = await stack.token(`root-${run}`, [ROOT]);
      const find = async (query: string) => {
        const res = await stack.http<AssetPage>('GET', `/api/v1/assets/audio?${query}`, {
          token: root,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body;
      };
      const owned = `owner=${viewOwnerId}`;
      expect((await find(`${owned}&status=POST`)).items.map((a) => a.id)).toEqual([
        ids.get('POST'),
      ]);
      expect((await find(`${owned}&name=COPY`)).total).toBe('4');
      expect((await find(`${owned}&name=draft`)).items.map((a) => a.id)).toEqual([
        ids.get('DRAFT'),
      ]);
      const all = await find(`${owned}&limit=100`);
      expect(all.total).toBe('5');
      // Newest first; offset and limit page through the same order.
      const ordered = all.items.map((a) => a.id);
      expect(ordered).toEqual([...ordered].sort((a, b) => Number(b) - Number(a)));
      const second = await find(`${owned}&offset=2&limit=2`);
      expect(second.total).toBe('5');
      expect(second.items.map((a) => a.id)).toEqual(ordered.slice(2, 4));
      // A plain user filtering on someone else's SUBMIT sees nothing.
      const plain = await stack.token(otherId);
      const hidden = await stack.http<AssetPage>(
        'GET',
        `/api/v1/assets/audio?${owned}&status=SUBMIT`,
        { token: plain },
      );
      expect(hidden.body).toEqual({ items: [], total: '0' });
      for (const bad of ['status=GONE', 'limit=0', 'limit=101', 'offset=-1', 'owner=a%20b']) {
        expectGrpcError(
          await stack.http('GET', `/api/v1/assets/audio?${bad}`, { token: root }),
          400,
          Grpc.invalidArgument,
        );
      }
    });

    it.each(callers)('as $role, owner: $owner', async ({ role, owner }) => {
      const token = await stack.token(owner ? viewOwnerId : otherId, ROLES[role]);
      const expectedIds: string[] = [];
      for (const status of STATUSES) {
        const id = ids.get(status)!;
        const shown = visible(status, role, owner);
        if (shown) expectedIds.push(id);

        const byId = await stack.byId(token, id);
        if (shown) {
          expect(byId.status, `${status}: ${JSON.stringify(byId.body)}`).toBe(200);
          expect(byId.body.asset).toMatchObject({ id, status });
        } else {
          expectGrpcError(byId, 404, Grpc.notFound, `audio asset ${id} not found`);
        }

        const download = await stack.download(token, id, 0);
        if (shown && status !== 'DRAFT') {
          expect(download.status, status).toBe(200);
          expect(sha256(download.bytes)).toBe(source.hash);
        } else if (shown) {
          // A draft has no files yet: not found, saying so to someone who may see it.
          expectGrpcError(download, 404, Grpc.notFound, /has no file=0 yet; it is DRAFT/);
        } else {
          expectGrpcError(download, 404, Grpc.notFound, `audio asset ${id} not found`);
        }
      }

      const found = await stack.http<AssetPage>(
        'GET',
        `/api/v1/assets/audio?owner=${viewOwnerId}&limit=100`,
        { token },
      );
      expect(found.status).toBe(200);
      expect(found.body.items.map((a) => a.id).sort()).toEqual(expectedIds.sort());
      expect(found.body.total).toBe(String(expectedIds.length));
    });
  });
});
