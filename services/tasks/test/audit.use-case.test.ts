import type { VaultError } from '@media-vault/contracts';
import {
  EventSubjects,
  type AgentAuditKind,
  type AppendAuditRequest,
  type AuditEntry,
  type AuditEvent,
  type Principal,
} from '@media-vault/contracts';
import {
  agentPublicKeys,
  auditEntryHash,
  encodeRawKey,
  generateAgentIdentity,
  signAuditBody,
  verifyAuditChain,
  type AgentIdentity,
} from '@media-vault/sealed';
import type { OpenDatabase } from '@media-vault/service-kit';
import { describeOnDatabases } from '@media-vault/test-harness/databases';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agents } from '../src/agents/agents.use-case.js';
import { AuditLog } from '../src/audit/audit.use-case.js';
import type { schema } from '../src/db/index.js';
import { auditEntries, outbox } from '../src/db/schema.js';
import { createMasterUseCases, type MasterUseCases } from '../src/master/master.handlers.js';
import {
  newAgentId,
  openTasksDatabase,
  principal,
  rootPrincipal,
  vaultErrorOf,
} from './helpers.js';

describeOnDatabases('audit log on $driver', (backend) => {
  const { driver } = backend;
  let database: OpenDatabase<typeof schema>;
  let opened: Awaited<ReturnType<typeof openTasksDatabase>> | undefined;
  let master: MasterUseCases;
  let agents: Agents;
  let audit: AuditLog;
  let users = 0;
  const newUser = (label: string): Principal => principal(`${label}-${driver}-${++users}`);
  const root = rootPrincipal(`root-${driver}`);

  beforeAll(async () => {
    opened = await openTasksDatabase(backend, 'tasks_audit');
    database = opened.database;
    master = createMasterUseCases(database.db);
    agents = new Agents(database.db);
    audit = new AuditLog(database.db);
  });

  afterAll(async () => {
    await opened?.close();
  });

  const failure = vaultErrorOf;

  interface Source {
    readonly id: number;
    readonly uuid: string;
  }

  const newSource = async (owner: Principal): Promise<Source> => {
    const uuid = `uuid-${driver}-${++users}`;
    const task = await master.uploads.create(owner, {
      series_id: 233,
      uuid,
      source_name: '仙剑奇侠传-电视版（第21集）',
    });
    return { id: task.source_id, uuid };
  };

  /** An agent of `user`'s, registered with the keys the test signs with. */
  const agentOf = async (user: Principal): Promise<AgentIdentity> => {
    const identity = generateAgentIdentity(newAgentId('audit'));
    await agents.register(user, {
      id: identity.id,
      peer_id: `12D3KooW${identity.id}`,
      ...agentPublicKeys(identity),
    });
    return identity;
  };

  let entries = 0;
  /** An entry `user`'s agent signed, as the agent sends it. */
  const signed = (
    user: Principal,
    agent: AgentIdentity,
    source: Source,
    kind: AgentAuditKind = 'fetch',
    data: Record<string, unknown> = { download_task_id: 6 },
    entryId = `job-${driver}-${++entries}:${kind}`,
  ): AppendAuditRequest => {
    const body = {
      entry_id: entryId,
      source_id: source.id,
      source_uuid: source.uuid,
      kind,
      at: new Date().toISOString(),
      actor: { user_id: user.id, agent: agent.id },
      data,
    };
    return { ...body, signature: signAuditBody(body, agent) };
  };

  const rowsOf = async (sourceId: number) =>
    (
      await database.db
        .select({ n: count() })
        .from(auditEntries)
        .where(eq(auditEntries.sourceId, sourceId))
    )[0]!.n;
  const eventsOf = async (sourceId: number) =>
    (
      await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.subject, EventSubjects.audit(sourceId)))
        .orderBy(asc(outbox.id))
    ).map((row) => row.payload as AuditEvent);

  describe('grants and revocations', () => {
    it('are written by the tasks service with the change, one entry per change, as the API returns the grant', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await newSource(owner);
      const first = await master.grants.create(owner, {
        source_id: source.id,
        user_id: licensee.id,
      });
      // The same window again changes nothing, so it is no entry either.
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });
      const widened = await master.grants.create(root, {
        source_id: source.id,
        user_id: licensee.id,
        not_after: '2099-01-01T00:00:00Z',
      });
      const revoked = await master.grants.revoke(owner, {
        source_id: source.id,
        user_id: licensee.id,
      });
      await master.grants.revoke(owner, { source_id: source.id, user_id: licensee.id });

      const log = await audit.list(owner, source.id);
      expect(log.map((e) => [e.seq, e.kind, e.actor])).toEqual([
        [1, 'grant', { user_id: owner.id }],
        [2, 'grant', { user_id: root.id }],
        [3, 'revoke', { user_id: owner.id }],
      ]);
      expect(log.map((e) => e.data)).toEqual([first.grant, widened.grant, revoked.grant]);
      expect(log.every((e) => e.signature === undefined && e.source_uuid === source.uuid)).toBe(
        true,
      );
      expect(verifyAuditChain(log)).toMatchObject({ ok: true, head: { seq: 3 } });

      const events = await eventsOf(source.id);
      expect(events.map((e) => [e.type, e.source_owner, e.record])).toEqual(
        log.map((e) => ['audit.appended', owner.id, e]),
      );
    });
  });

  describe("agents' entries", () => {
    it('are chained after the head with their signature, and an entry id sent again adds nothing', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const [studioAgent, licenseeAgent] = [await agentOf(owner), await agentOf(licensee)];
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });

      const release = signed(owner, studioAgent, source, 'release', {
        envelope_cid: 'bafkreienvelope',
        recipient: { user_id: licensee.id, agent: licenseeAgent.id },
      });
      const appended = await audit.append(owner, release);
      expect(appended).toMatchObject({
        changed: true,
        entry: {
          seq: 2,
          kind: 'release',
          entry_id: release.entry_id,
          data: release.data,
          signature: release.signature,
        },
      });
      const fetch = await audit.append(licensee, signed(licensee, licenseeAgent, source));
      expect(fetch.entry.seq).toBe(3);
      expect(fetch.entry.prev_hash).toBe(appended.entry.hash);

      // A redelivered job signs its entry again, at another time: the log keeps the first.
      const again = { ...release, at: new Date(Date.now() + 5_000).toISOString() };
      const resent = await audit.append(owner, {
        ...again,
        signature: signAuditBody({ ...again, source_id: source.id }, studioAgent),
      });
      expect(resent).toEqual({ entry: appended.entry, changed: false });
      expect(await rowsOf(source.id)).toBe(3);
      expect(await eventsOf(source.id)).toHaveLength(3);

      const log = await audit.list(root, source.id);
      expect(log).toEqual([
        expect.objectContaining({ kind: 'grant' }),
        appended.entry,
        fetch.entry,
      ]);
      const trustedKeys = {
        [studioAgent.id]: encodeRawKey(studioAgent.signingPublicKey),
        [licenseeAgent.id]: encodeRawKey(licenseeAgent.signingPublicKey),
      };
      expect(verifyAuditChain(log, { trustedKeys }).ok).toBe(true);
    });

    it('may come from a grantee whose grant was revoked: the download it started may still end', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const licenseeAgent = await agentOf(licensee);
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });
      await master.grants.revoke(owner, { source_id: source.id, user_id: licensee.id });
      const failed = await audit.append(
        licensee,
        signed(licensee, licenseeAgent, source, 'failure', { reason: 'revoked mid-download' }),
      );
      expect(failed.entry).toMatchObject({ seq: 3, kind: 'failure' });
    });

    it('make one chain however many are appended at once, and one entry per id', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const [studioAgent, licenseeAgent] = [await agentOf(owner), await agentOf(licensee)];
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });

      const repeated = signed(licensee, licenseeAgent, source, 'compose');
      const work = [
        ...Array.from({ length: 12 }, () =>
          audit.append(owner, signed(owner, studioAgent, source, 'release')),
        ),
        ...Array.from({ length: 12 }, () =>
          audit.append(licensee, signed(licensee, licenseeAgent, source, 'fetch')),
        ),
        ...Array.from({ length: 6 }, () => audit.append(licensee, repeated)),
        // New grantees: each insert holds the source row's key-share lock (its foreign key)
        // when it appends, so the appends must not need a lock that conflicts with it.
        ...Array.from({ length: 4 }, () =>
          master.grants.create(owner, { source_id: source.id, user_id: newUser('grantee').id }),
        ),
      ];
      const settled = await Promise.allSettled(work);
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);

      const log = await audit.list(owner, source.id);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(log.filter((e) => e.entry_id === repeated.entry_id)).toHaveLength(1);
      expect(new Set(log.map((e) => e.prev_hash)).size).toBe(30);
      expect(verifyAuditChain(log)).toMatchObject({ ok: true, head: { seq: 30 } });
    });
  });

  describe('refusals change nothing', () => {
    const setUp = async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const [studioAgent, licenseeAgent] = [await agentOf(owner), await agentOf(licensee)];
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });
      return { owner, licensee, studioAgent, licenseeAgent, source };
    };

    const expectRefused = async (
      source: Source,
      work: () => Promise<unknown>,
      kind: VaultError['kind'],
      message: string | RegExp,
    ) => {
      const [rows, events] = [await rowsOf(source.id), (await eventsOf(source.id)).length];
      const err = await failure(work());
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(message);
      expect(await rowsOf(source.id)).toBe(rows);
      expect(await eventsOf(source.id)).toHaveLength(events);
    };

    it('a signature by another key than the agent is registered with', async () => {
      const { owner, studioAgent, source } = await setUp();
      const impostor = { ...generateAgentIdentity(studioAgent.id) };
      await expectRefused(
        source,
        () => audit.append(owner, signed(owner, impostor, source, 'release')),
        'badRequest',
        `signature.signing_key: agent ${studioAgent.id} is registered with another signing key`,
      );
      // The registered key named, but the signature made with another: it does not verify.
      const forged = signed(owner, impostor, source, 'release');
      await expectRefused(
        source,
        () =>
          audit.append(owner, {
            ...forged,
            signature: {
              ...forged.signature,
              signing_key: encodeRawKey(studioAgent.signingPublicKey),
            },
          }),
        'badRequest',
        `signature: does not verify over the entry with agent ${studioAgent.id}'s key`,
      );
    });

    it('an entry changed after it was signed', async () => {
      const { owner, studioAgent, source } = await setUp();
      const entry = signed(owner, studioAgent, source, 'release', { recipient: 'licensee' });
      await expectRefused(
        source,
        () => audit.append(owner, { ...entry, data: { recipient: 'mallory' } }),
        'badRequest',
        /^signature: does not verify/,
      );
      await expectRefused(
        source,
        () => audit.append(owner, { ...entry, kind: 'compose' }),
        'badRequest',
        /^signature: does not verify/,
      );
    });

    it("another user's agent, even with that agent's own valid signature", async () => {
      const { owner, licensee, studioAgent, source } = await setUp();
      // The licensee replays an entry the studio's agent signed, as its own.
      const studios = signed(owner, studioAgent, source, 'release');
      await expectRefused(
        source,
        () =>
          audit.append(licensee, {
            ...studios,
            actor: { user_id: licensee.id, agent: studioAgent.id },
          }),
        'badRequest',
        `agent: you have no agent with id ${studioAgent.id}`,
      );
      await expectRefused(
        source,
        () => audit.append(licensee, studios),
        'badRequest',
        `actor.user_id: an entry is appended by its actor, and you are ${licensee.id}`,
      );
    });

    it('another master under the same id, and an entry of another source', async () => {
      const { owner, studioAgent, source } = await setUp();
      await expectRefused(
        source,
        () =>
          audit.append(owner, signed(owner, studioAgent, { ...source, uuid: 'another-master' })),
        'badRequest',
        `source_uuid: source ${source.id} is the master "${source.uuid}"`,
      );
      const other = await newSource(owner);
      const entry = signed(owner, studioAgent, other);
      await expectRefused(
        source,
        () => audit.append(owner, { ...entry, source_id: source.id, source_uuid: source.uuid }),
        'badRequest',
        /^signature: does not verify/,
      );
    });

    it('a user with no part in the source (404), root without one (403)', async () => {
      const { source } = await setUp();
      const stranger = newUser('stranger');
      const strangerAgent = await agentOf(stranger);
      await expectRefused(
        source,
        () => audit.append(stranger, signed(stranger, strangerAgent, source)),
        'notFound',
        `source ${source.id} not found`,
      );
      const rootAgent = await agentOf(root);
      await expectRefused(
        source,
        () => audit.append(root, signed(root, rootAgent, source)),
        'forbidden',
        /only the agents of the owner and of grantees/,
      );
      await expectRefused(
        source,
        () => audit.append(stranger, signed(stranger, strangerAgent, { id: 2_000_000, uuid: 'x' })),
        'notFound',
        'source 2000000 not found',
      );
    });
  });

  describe('reading the log', () => {
    it('is for the owner and root; a grantee or anyone else is told it does not exist', async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });
      expect(await audit.list(owner, source.id)).toHaveLength(1);
      expect(await audit.list(root, source.id)).toHaveLength(1);
      for (const caller of [licensee, newUser('stranger')]) {
        expect(await failure(audit.list(caller, source.id))).toMatchObject({
          kind: 'notFound',
          message: `source ${source.id} not found`,
        });
      }
      expect(await failure(audit.list(root, 2_000_000))).toMatchObject({ kind: 'notFound' });
    });
  });

  describe('tampering in the database, found offline', () => {
    /** grant → release → fetch → compose, as the pipeline writes them. */
    const pipelineLog = async () => {
      const owner = newUser('owner');
      const licensee = newUser('licensee');
      const [studioAgent, licenseeAgent] = [await agentOf(owner), await agentOf(licensee)];
      const source = await newSource(owner);
      await master.grants.create(owner, { source_id: source.id, user_id: licensee.id });
      await audit.append(
        owner,
        signed(owner, studioAgent, source, 'release', { recipient: licensee.id }),
      );
      await audit.append(licensee, signed(licensee, licenseeAgent, source, 'fetch'));
      await audit.append(licensee, signed(licensee, licenseeAgent, source, 'compose'));
      expect(verifyAuditChain(await audit.list(owner, source.id)).ok).toBe(true);
      return { owner, source };
    };

    const entryOf = (sourceId: number, seq: number) =>
      and(eq(auditEntries.sourceId, sourceId), eq(auditEntries.seq, seq));

    it("an UPDATE of an entry's data is reported at that entry", async () => {
      const { owner, source } = await pipelineLog();
      await database.db.execute(
        sql`update tasks.audit_entries set data = jsonb_set(data, '{recipient}', '"mallory"')
            where source_id = ${source.id} and seq = 2`,
      );
      const report = verifyAuditChain(await audit.list(owner, source.id));
      expect(report.firstBroken).toMatchObject({ seq: 2, reason: 'edited-entry' });
      expect(report.entries.map((e) => e.ok)).toEqual([true, false, true, true]);
    });

    it('an UPDATE that also recomputes the hash is reported by the signature and the next link', async () => {
      const { owner, source } = await pipelineLog();
      const [before] = (await audit.list(owner, source.id)).filter((e) => e.seq === 2);
      const edited: AuditEntry = { ...before!, data: { recipient: 'mallory' } };
      const { hash: _old, ...unhashed } = edited;
      await database.db
        .update(auditEntries)
        .set({ data: edited.data, hash: auditEntryHash(unhashed) })
        .where(entryOf(source.id, 2));
      const report = verifyAuditChain(await audit.list(owner, source.id));
      expect(report.firstBroken).toMatchObject({ seq: 2, reason: 'bad-signature' });
      expect(report.entries[2]!.problems.map((p) => p.reason)).toEqual(['broken-link']);
    });

    it('a DELETE of an entry is reported at the entry after it', async () => {
      const { owner, source } = await pipelineLog();
      await database.db.execute(
        sql`delete from tasks.audit_entries where source_id = ${source.id} and seq = 2`,
      );
      const report = verifyAuditChain(await audit.list(owner, source.id));
      expect(report.firstBroken).toMatchObject({
        seq: 3,
        reason: 'missing-entry',
        message: 'entry 2 is missing before it',
      });
    });
  });
});
