import { describeOnDatabases } from '@media-vault/test-harness/databases';
import type { Principal } from '@media-vault/contracts';
import {
  encodeRawKey,
  generateOwnerKey,
  grantStatementFor,
  signGrant,
  signRevocation,
  type GrantStatement,
  type OwnerKey,
  type SignedGrant,
} from '@media-vault/sealed';
import type { OpenDatabase } from '@media-vault/service-kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agents } from '../src/agents/agents.use-case.js';
import type { schema } from '../src/db/index.js';
import { grants } from '../src/db/schema.js';
import { createMasterUseCases, type MasterUseCases } from '../src/master/master.handlers.js';
import {
  principal,
  registration,
  rootPrincipal,
  openTasksDatabase,
  vaultErrorOf,
} from './helpers.js';

/**
 * The platform keeps owner-signed statements and refuses the ones that do not match the source,
 * the agents or the owner key the sealing agent registered, changing nothing. (The agents check
 * the same on their side; this is the early, clear refusal.)
 */
const PUBLIC_BLOCK = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

describeOnDatabases('signed grants', (backend) => {
  let database: OpenDatabase<typeof schema>;
  let opened: Awaited<ReturnType<typeof openTasksDatabase>> | undefined;
  let master: MasterUseCases;
  let agents: Agents;
  let users = 0;
  const newUser = (label: string): Principal => principal(`${label}-${backend.driver}-${++users}`);

  beforeAll(async () => {
    opened = await openTasksDatabase(backend, 'tasks_signed');
    database = opened.database;
    master = createMasterUseCases(database.db);
    agents = new Agents(database.db);
  });
  afterAll(async () => {
    await opened?.close();
  });

  /** A sealed source of a new owner, its sealing agent obeying `ownerKey`, and a licensee's agent. */
  async function setting(ownerKey: OwnerKey = generateOwnerKey()) {
    const owner = newUser('owner');
    const licensee = newUser('licensee');
    const { agent: sealer } = await agents.register(
      owner,
      registration({ owner_key: encodeRawKey(ownerKey.publicKey) }),
    );
    const { agent: recipient } = await agents.register(licensee, registration());
    const task = await master.uploads.create(owner, {
      series_id: 1,
      uuid: `uuid-signed-${++users}`,
      source_name: 'ep.mov',
      path: 'ep.mov',
      agent: sealer.id,
    });
    await master.reports.reportUpload(owner, {
      id: task.id,
      status: 8,
      hash: PUBLIC_BLOCK,
      name: 'ep.mov',
      size: 1024,
      ip: 'peer',
      file: '',
    });
    const statement = (change: Partial<GrantStatement> = {}): GrantStatement => ({
      ...grantStatementFor({
        source: { uuid: task.uuid, publicBlock: PUBLIC_BLOCK, owner: owner.id },
        sealer,
        recipient,
        notAfter: new Date('2030-01-01T00:00:00Z'),
      }),
      ...change,
    });
    return { owner, licensee, sealer, recipient, task, ownerKey, statement };
  }

  const refusal = vaultErrorOf;

  it('stores the statement as signed, takes its window, and serves it with the grant', async () => {
    const s = await setting();
    const signed = signGrant(s.statement(), s.ownerKey);
    const { grant, changed } = await master.grants.create(s.owner, {
      source_id: s.task.source_id,
      user_id: s.licensee.id,
      signed_grant: signed,
    });
    expect(changed).toBe(true);
    expect(grant).toMatchObject({ not_after: '2030-01-01T00:00:00.000Z', signed_grant: signed });
    // The same statement again changes nothing; a new one (another id) is a change.
    const again = await master.grants.create(s.owner, {
      source_id: s.task.source_id,
      user_id: s.licensee.id,
      signed_grant: signed,
    });
    expect(again.changed).toBe(false);
    const listed = await master.grants.list(s.owner, s.task.source_id);
    expect(listed[0]?.signed_grant).toEqual(signed);
  });

  it.each<[string, (s: Awaited<ReturnType<typeof setting>>) => SignedGrant, RegExp]>([
    [
      'signed by a key the sealing agent does not obey (root signing for itself)',
      (s) => signGrant(s.statement(), generateOwnerKey()),
      /signature is not the owner's/,
    ],
    [
      'a valid signature over a widened window',
      (s) => ({
        ...signGrant(s.statement(), s.ownerKey),
        statement: { ...s.statement(), not_after: '2040-01-01T00:00:00.000Z' },
      }),
      /signature is not the owner's/,
    ],
    [
      'naming another user than user_id',
      (s) => signGrant(s.statement({ recipient: 'someone-else' }), s.ownerKey),
      /names recipient someone-else/,
    ],
    [
      'naming keys the recipient agent does not have',
      (s) => signGrant(s.statement({ recipient_public_key: 'ab'.repeat(32) }), s.ownerKey),
      /names keys agent .* does not have/,
    ],
    [
      'for another source',
      (s) => signGrant(s.statement({ source: 'another-source' }), s.ownerKey),
      /names source another-source/,
    ],
    [
      'naming an agent that is not registered',
      (s) => signGrant(s.statement({ recipient_agent: 'nobody-agent' }), s.ownerKey),
      /not registered/,
    ],
  ])('refuses a statement %s with 400, storing nothing', async (_, make, why) => {
    const s = await setting();
    const err = await refusal(
      master.grants.create(s.owner, {
        source_id: s.task.source_id,
        user_id: s.licensee.id,
        signed_grant: make(s),
      }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toMatch(why);
    const rows = await database.db
      .select()
      .from(grants)
      .where(eq(grants.sourceId, s.task.source_id));
    expect(rows).toEqual([]);
  });

  it('refuses a window beside the statement that differs from the signed one', async () => {
    const s = await setting();
    const err = await refusal(
      master.grants.create(s.owner, {
        source_id: s.task.source_id,
        user_id: s.licensee.id,
        not_after: '2035-01-01T00:00:00Z',
        signed_grant: signGrant(s.statement(), s.ownerKey),
      }),
    );
    expect(err.message).toMatch(/differ from the signed statement/);
  });

  it('root may store an unsigned grant, which names no agent and so releases nothing', async () => {
    const s = await setting();
    const { grant } = await master.grants.create(rootPrincipal(`root-${backend.driver}`), {
      source_id: s.task.source_id,
      user_id: s.licensee.id,
    });
    expect(grant.signed_grant).toBeNull();
  });

  it('keeps a signed revocation of the statement, refuses one of another statement', async () => {
    const s = await setting();
    const signed = signGrant(s.statement(), s.ownerKey);
    await master.grants.create(s.owner, {
      source_id: s.task.source_id,
      user_id: s.licensee.id,
      signed_grant: signed,
    });
    const revocation = (grant: string, key = s.ownerKey) =>
      signRevocation(
        { grant, source: signed.statement.source, revoked_at: new Date().toISOString() },
        key,
      );
    const other = await refusal(
      master.grants.revoke(s.owner, {
        source_id: s.task.source_id,
        user_id: s.licensee.id,
        signed_revocation: revocation('0b6f2a4e-8d3c-4f1a-9e57-2c8d1f6a3b90'),
      }),
    );
    expect(other.message).toMatch(/revokes statement 0b6f2a4e/);
    const forged = await refusal(
      master.grants.revoke(s.owner, {
        source_id: s.task.source_id,
        user_id: s.licensee.id,
        signed_revocation: revocation(signed.statement.id, generateOwnerKey()),
      }),
    );
    expect(forged.message).toMatch(/signature is not the owner's/);
    const { grant, changed } = await master.grants.revoke(s.owner, {
      source_id: s.task.source_id,
      user_id: s.licensee.id,
      signed_revocation: revocation(signed.statement.id),
    });
    expect(changed).toBe(true);
    expect(grant).toMatchObject({ status: 'revoked', valid: false });
    expect(grant.signed_revocation?.statement.grant).toBe(signed.statement.id);
  });
});
