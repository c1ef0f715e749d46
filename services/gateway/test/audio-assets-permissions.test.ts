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

  // Who sees which asset in Get, Find and Download, and how Find filters and pages, is the assets
  // service's rule: services/assets/test/visibility.pipeline.test.ts. Here, how it maps.
  describe('visibility over HTTP', () => {
    it('by_id and download: a visible asset is 200 with its bytes, a hidden one 404', async () => {
      const other = await stack.token(otherId, [ASSETS]);
      const posted = await make('post');
      const byId = await stack.byId(other, posted);
      expect(byId.status, JSON.stringify(byId.body)).toBe(200);
      expect(byId.body.asset).toMatchObject({ id: posted, status: 'POST' });
      const download = await stack.download(other, posted, 0);
      expect(download.status).toBe(200);
      expect(sha256(download.bytes)).toBe(source.hash);

      const hidden = await make('submit');
      expectGrpcError(
        await stack.byId(other, hidden),
        404,
        Grpc.notFound,
        `audio asset ${hidden} not found`,
      );
      expectGrpcError(
        await stack.download(other, hidden, 0),
        404,
        Grpc.notFound,
        `audio asset ${hidden} not found`,
      );
      const draft = await make('draft');
      expectGrpcError(
        await stack.download(ownerToken, draft, 0),
        404,
        Grpc.notFound,
        /has no file=0 yet; it is DRAFT/,
      );
    });

    it('Find takes its filters from the query string and refuses bad values with 400', async () => {
      const root = await stack.token(`root-${run}`, [ROOT]);
      const found = await stack.http<AssetPage>(
        'GET',
        `/api/v1/assets/audio?owner=${ownerId}&status=POST&name=COPY&offset=0&limit=100`,
        { token: root },
      );
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(found.body.items.every((a) => a.status === 'POST' && a.userId === ownerId)).toBe(true);
      expect(found.body.total).toBe(String(found.body.items.length));
      for (const bad of ['status=GONE', 'limit=0', 'limit=101', 'offset=-1', 'owner=a%20b']) {
        expectGrpcError(
          await stack.http('GET', `/api/v1/assets/audio?${bad}`, { token: root }),
          400,
          Grpc.invalidArgument,
        );
      }
    });
  });
});
