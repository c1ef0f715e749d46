import {
  AudioAssetCommandSubjects as S,
  type AssetStatus,
  type CommandRequest,
  type CommandsOf,
  type Principal,
} from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import {
  createDatabase,
  makeTempDir,
  connectAs,
  natsEnv,
  principalVerifyEnv,
  startNats,
  testSigner,
  uniqueName,
  type StartedNats,
  type TempDir,
} from '@media-vault/test-harness';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAssetsService, type AssetsService } from '../src/assets-service.js';
import { loadAssetsConfig } from '../src/config.js';
import { assetRow, sha256, Uploads } from './helpers.js';

/**
 * The assets service decides every permission itself: these commands go straight on NATS, as any
 * process on the bus could send them, with no gateway in front to filter them first.
 */

const { postgresUrl } = inject('servers');
const CHUNK = 64 * 1024;
const run = Date.now().toString(36);
const ownerId = `owner-${run}`;
const otherId = `other-${run}`;

type Role = 'none' | 'assets' | 'reviewer' | 'root';
const ROLES: Record<Role, number[]> = { none: [], assets: [100], reviewer: [120], root: [1] };
type Outcome = 'ok' | 'forbidden' | 'notFound';

// SPEC §6 "who" and §4 (wrong role 403, another user's object 404), written out by hand here and
// deliberately not read from the service's own permission table.
const contributor = (role: Role, owner: boolean): Outcome =>
  role !== 'assets' && role !== 'root' ? 'forbidden' : owner || role === 'root' ? 'ok' : 'notFound';
const contributorNoObject = (role: Role): Outcome =>
  role === 'assets' || role === 'root' ? 'ok' : 'forbidden';
const ownList = (_role: Role, owner: boolean): Outcome => (owner ? 'ok' : 'forbidden');
const ownDelete = (_role: Role, owner: boolean): Outcome => (owner ? 'ok' : 'notFound');
const session = (): Outcome => 'ok';
const reviewer = (role: Role): Outcome =>
  role === 'reviewer' || role === 'root' ? 'ok' : 'forbidden';
/** Anyone signed in sees POST; owners their own; reviewers and root everything. */
const visible = (status: AssetStatus, role: Role, owner: boolean): boolean =>
  status === 'POST' || owner || role === 'reviewer' || role === 'root';

type Fixture = 'none' | 'draft' | 'uploaded' | 'merged' | 'submit' | 'post' | 'reject' | 'disable';

interface Case<C extends CommandsOf<'assets'> = CommandsOf<'assets'>> {
  readonly subject: C;
  readonly fixture: Fixture;
  /** An allowed call changes its fixture, so it gets one of its own. */
  readonly mutates: boolean;
  readonly body: (id: string) => CommandRequest<C>;
  readonly expected: (role: Role, owner: boolean) => Outcome;
}

const DRAFT_SIZE = 100;
const command = <C extends CommandsOf<'assets'>>(c: Case<C>): Case => c as unknown as Case;

const commands: Case[] = [
  command({
    subject: S.assetCreate,
    fixture: 'none',
    mutates: true,
    body: () => ({ name: 'x.mp3', size: 10, hash: sha256(randomBytes(8)) }),
    expected: contributorNoObject,
  }),
  command({
    subject: S.assetChunks,
    fixture: 'draft',
    mutates: false,
    body: (id) => ({ id }),
    expected: contributor,
  }),
  command({
    subject: S.assetChunkCommit,
    fixture: 'draft',
    mutates: true,
    body: (id) => ({
      id,
      index: 0,
      object: `${id}/0/forged`,
      size: DRAFT_SIZE,
      hash: sha256(randomBytes(8)),
    }),
    expected: contributor,
  }),
  command({
    subject: S.assetMerge,
    fixture: 'uploaded',
    mutates: true,
    body: (id) => ({ id }),
    expected: contributor,
  }),
  command({
    subject: S.assetSubmit,
    fixture: 'merged',
    mutates: true,
    body: (id) => ({ id }),
    expected: contributor,
  }),
  command({
    subject: S.assetListDrafts,
    fixture: 'none',
    mutates: false,
    body: () => ({ uid: ownerId }),
    expected: ownList,
  }),
  command({
    subject: S.assetDeleteDraft,
    fixture: 'draft',
    mutates: true,
    body: (id) => ({ id }),
    expected: ownDelete,
  }),
  command({
    subject: S.assetListRejects,
    fixture: 'none',
    mutates: false,
    body: () => ({ uid: ownerId }),
    expected: ownList,
  }),
  command({
    subject: S.assetDeleteReject,
    fixture: 'reject',
    mutates: true,
    body: (id) => ({ id }),
    expected: ownDelete,
  }),
  command({
    subject: S.assetFind,
    fixture: 'none',
    mutates: false,
    body: () => ({}),
    expected: session,
  }),
  command({
    subject: S.assetGet,
    fixture: 'post',
    mutates: false,
    body: (id) => ({ id }),
    expected: session,
  }),
  command({
    subject: S.assetDownload,
    fixture: 'post',
    mutates: false,
    body: (id) => ({ id, file: 0 }),
    expected: session,
  }),
  command({
    subject: S.assetResolve,
    fixture: 'submit',
    mutates: true,
    body: (id) => ({ id }),
    expected: reviewer,
  }),
  command({
    subject: S.assetReject,
    fixture: 'submit',
    mutates: true,
    body: (id) => ({ id, reason: 'off key' }),
    expected: reviewer,
  }),
  command({
    subject: S.assetDisable,
    fixture: 'post',
    mutates: true,
    body: (id) => ({ id }),
    expected: reviewer,
  }),
  command({
    subject: S.assetRecover,
    fixture: 'disable',
    mutates: true,
    body: (id) => ({ id }),
    expected: reviewer,
  }),
  command({
    subject: S.assetDelete,
    fixture: 'post',
    mutates: true,
    body: (id) => ({ id }),
    expected: reviewer,
  }),
];

const principal = (owner: boolean, role: Role): Principal => {
  const id = owner ? ownerId : otherId;
  return { id, name: id, roles: ROLES[role] };
};

const outcomeOf = async (work: Promise<unknown>): Promise<Outcome | string> => {
  try {
    await work;
    return 'ok';
  } catch (err) {
    const kind = (err as { kind?: string }).kind;
    return kind === 'forbidden' || kind === 'notFound' ? kind : `${kind}: ${String(err)}`;
  }
};

describe('assets service permissions, straight on NATS', () => {
  let nats: StartedNats;
  let dir: TempDir;
  let service: AssetsService;
  let nc: NatsConnection;
  let up: Uploads;
  const contributorP: Principal = { id: ownerId, name: ownerId, roles: [100] };
  const reviewerP: Principal = { id: `reviewer-${run}`, name: 'r', roles: [120] };

  /** A new asset of the owner's in the state the fixture names, made through the repository. */
  const make = async (fixture: Fixture, owner: Principal = contributorP): Promise<string> => {
    const assets = service.assets;
    switch (fixture) {
      case 'none':
        return '0';
      case 'draft':
        return (await up.draft(owner, DRAFT_SIZE, [])).id.toString();
      case 'uploaded':
        return (await up.draft(owner, DRAFT_SIZE)).id.toString();
      case 'merged':
        return (await up.merged(owner, { submit: false })).id.toString();
      default: {
        const { id } = await up.merged(owner);
        if (fixture === 'reject') await assets.review.review(reviewerP, id, 'reject', 'no');
        if (fixture === 'post' || fixture === 'disable') {
          await assets.review.review(reviewerP, id, 'resolve');
        }
        if (fixture === 'disable') await assets.review.review(reviewerP, id, 'disable');
        return id.toString();
      }
    }
  };

  const shared = new Map<Fixture, Promise<string>>();
  const fixtureFor = (c: Case, outcome: Outcome): Promise<string> => {
    if (c.mutates && outcome === 'ok') return make(c.fixture);
    let id = shared.get(c.fixture);
    if (!id) {
      id = make(c.fixture);
      shared.set(c.fixture, id);
    }
    return id;
  };

  beforeAll(async () => {
    // A server of its own: the service's durable pipeline consumers must not meet another's.
    nats = await startNats();
    dir = await makeTempDir('assets-permissions');
    service = await startAssetsService(
      loadAssetsConfig({
        ...(await natsEnv(nats, { kind: 'assets' })),
        ...principalVerifyEnv(),
        DATABASE_URL: await createDatabase(postgresUrl!, uniqueName('assets_perm')),
        DATA_DIR: dir.path,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        ASSET_CHUNK_SIZE: String(CHUNK),
        ASSET_MAX_SIZE: String(10 * CHUNK),
      }),
    );
    up = new Uploads(service.runtime.database.db, service.assets, {
      chunkSize: CHUNK,
      maxSize: 10 * CHUNK,
    });
    nc = await connectAs(nats);
  });
  afterAll(async () => {
    await nc?.close();
    await service?.close();
    await nats?.stop();
    await dir?.remove();
  });

  const cases = commands.flatMap((c) =>
    (Object.keys(ROLES) as Role[]).flatMap((role) =>
      [true, false].map((owner) => ({ c, role, owner, outcome: c.expected(role, owner) })),
    ),
  );

  it.each(cases)('$c.subject as $role, owner: $owner → $outcome', async (t) => {
    const id = await fixtureFor(t.c, t.outcome);
    const before = id === '0' ? undefined : await assetRow(service.runtime.database.db, BigInt(id));
    const got = await outcomeOf(
      sendCommand(nc, t.c.subject, t.c.body(id) as never, {
        principal: principal(t.owner, t.role),
        signer: testSigner,
      }),
    );
    expect(got).toBe(t.outcome);
    if (t.outcome !== 'ok' && before) {
      // A refused command changes nothing.
      expect(await assetRow(service.runtime.database.db, BigInt(id))).toEqual(before);
    }
  });

  it('a contributor sending Resolve straight on NATS is refused, naming the roles it needs', async () => {
    const id = await make('submit');
    await expect(
      sendCommand(nc, S.assetResolve, { id }, { principal: contributorP, signer: testSigner }),
    ).rejects.toMatchObject({
      kind: 'forbidden',
      message: 'svc.assets.resolve needs role 1 (root) or 120 (reviewer_assets)',
    });
    expect((await assetRow(service.runtime.database.db, BigInt(id)))!.status).toBe('SUBMIT');
  });

  describe('visibility in ID, Download and Find', () => {
    const statuses = ['DRAFT', 'SUBMIT', 'POST', 'REJECT', 'DISABLE'] as const;
    const ids = new Map<AssetStatus, string>();
    // An owner of these fixtures only, so Find by owner lists exactly them.
    const viewOwner: Principal = { id: `viewed-${run}`, name: 'v', roles: [100] };
    beforeAll(async () => {
      for (const status of statuses) {
        const fixture = status === 'DRAFT' ? 'merged' : (status.toLowerCase() as Fixture);
        ids.set(status, await make(fixture, viewOwner));
      }
    });

    const callers = (Object.keys(ROLES) as Role[]).flatMap((role) =>
      [true, false].map((owner) => ({ role, owner })),
    );
    it.each(callers)('as $role, owner: $owner', async ({ role, owner }) => {
      const p: Principal = {
        id: owner ? viewOwner.id : otherId,
        name: 'caller',
        roles: ROLES[role],
      };
      const shown: string[] = [];
      for (const status of statuses) {
        const id = ids.get(status)!;
        const expected = visible(status, role, owner) ? 'ok' : 'notFound';
        if (expected === 'ok') shown.push(id);
        expect(
          await outcomeOf(
            sendCommand(nc, S.assetGet, { id }, { principal: p, signer: testSigner }),
          ),
          status,
        ).toBe(expected);
        expect(
          await outcomeOf(
            sendCommand(nc, S.assetDownload, { id, file: 0 }, { principal: p, signer: testSigner }),
          ),
          status,
        ).toBe(expected);
      }
      const found = await sendCommand(
        nc,
        S.assetFind,
        { owner: viewOwner.id, limit: 100 },
        { principal: p, signer: testSigner },
      );
      expect(found.items.map((a) => a.id).sort()).toEqual(shown.sort());
    });
  });

  describe('de-duplication across users', () => {
    it('knowing another user’s size and hash gives a plain chunk plan and no bytes', async () => {
      const { id: sourceId, hash } = await up.merged(contributorP);
      const source = (await assetRow(service.runtime.database.db, sourceId))!;
      const attacker: Principal = { id: `attacker-${run}`, name: 'a', roles: [100] };
      const claim = await sendCommand(
        nc,
        S.assetCreate,
        { name: 'mine.mp3', size: String(source.size), hash },
        { principal: attacker, signer: testSigner },
      );
      expect(claim.exists).toBe(false);
      expect(claim.asset).toMatchObject({ status: 'DRAFT', merged: false, files: [], probe: null });
      expect(claim.chunkSize).toBe(CHUNK);
      await expect(
        sendCommand(
          nc,
          S.assetDownload,
          { id: claim.id, file: 0 },
          { principal: attacker, signer: testSigner },
        ),
      ).rejects.toMatchObject({ kind: 'notFound', message: /has no file=0 yet; it is DRAFT/ });
      await expect(
        sendCommand(
          nc,
          S.assetDownload,
          { id: sourceId.toString() },
          { principal: attacker, signer: testSigner },
        ),
      ).rejects.toMatchObject({ kind: 'notFound' });
      // A size that does not match someone else's asset is no different: nothing is revealed.
      const wrongSize = await sendCommand(
        nc,
        S.assetCreate,
        { name: 'mine.mp3', size: String(source.size + 1n), hash },
        { principal: attacker, signer: testSigner },
      );
      expect(wrongSize.exists).toBe(false);
    });
  });
});
