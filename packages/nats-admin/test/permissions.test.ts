import type { NatsIdentity } from '@media-vault/contracts';
import { connectAs, natsCreds, startNats, type StartedNats } from '@media-vault/test-harness';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openAuthority,
  pushAccount,
  revokeUser,
  saveAuthority,
  userOfCreds,
} from '../src/index.js';

/**
 * Each process's NATS user on a real nats-server in operator mode, tried against the subjects
 * that matter. Who may do what is written out here by hand from the design (SPEC §7, §11), not
 * read from the permission generator: a wrong generator fails this test.
 */
const identities = {
  gateway: { kind: 'gateway' },
  tasks: { kind: 'tasks' },
  assets: { kind: 'assets' },
  'ipfs-worker': { kind: 'ipfs-worker' },
  'media-worker': { kind: 'media-worker' },
  'agent-a': { kind: 'agent', agent: 'agent-a' },
  'agent-b': { kind: 'agent', agent: 'agent-b' },
  observer: { kind: 'observer' },
} satisfies Record<string, NatsIdentity>;
type Who = keyof typeof identities;

/** Subject → the identities that may publish on it; everyone else must be refused. */
const publishers: Record<string, Who[]> = {
  'svc.tasks.grant.create': ['gateway'],
  'svc.tasks.agent.register': ['gateway'],
  'svc.assets.resolve': ['gateway'],
  'svc.assets.create': ['gateway'],
  'events.tasks.upload.1': ['tasks'],
  'events.tasks.grant.1': ['tasks'],
  'events.assets.audio.1': ['assets'],
  'jobs.ipfs.agent-a.seal': ['tasks'],
  'jobs.ipfs.agent-a.release': ['tasks'],
  'jobs.ipfs.agent-b.fetch': ['tasks'],
  'jobs.media.merge': ['assets'],
  // Deleted audio (assets) and a deleted master's blocks (tasks).
  'jobs.ipfs.unpin': ['assets', 'tasks'],
  'jobs.ipfs.add': ['media-worker'],
  'jobs.assets.merged': ['media-worker', 'ipfs-worker'],
  'jobs.media.agent-a.compose': ['agent-a'],
  'jobs.media.agent-b.compose': ['agent-b'],
  // An agent verifies what it decrypted itself and answers only itself.
  'jobs.ipfs.agent-a.composed': ['agent-a'],
  'jobs.ipfs.agent-b.composed': ['agent-b'],
  '$JS.API.STREAM.DELETE.EVENTS': [],
  '$JS.API.STREAM.PURGE.JOBS': [],
  '$JS.API.STREAM.CREATE.JOBS': [],
  '$JS.API.STREAM.UPDATE.EVENTS': [],
  '$JS.API.CONSUMER.DELETE.JOBS.media-merge': [],
  '$JS.API.STREAM.MSG.DELETE.EVENTS': [],
  // The browser event relay follows EVENTS with ordered consumers, and reads nothing by sequence.
  '$JS.API.CONSUMER.CREATE.EVENTS': ['gateway', 'observer'],
  '$JS.API.CONSUMER.CREATE.JOBS': [],
  '$JS.API.STREAM.MSG.GET.EVENTS': ['observer'],
  '$O.asset-chunks.C.x': ['gateway', 'assets'],
  '$O.asset-files.C.x': ['media-worker', 'ipfs-worker'],
  '_INBOX.someone': [],
  '_INBOX_gateway.reply': [],
};

/** Subject → the identities that may subscribe to it. */
const subscribers: Record<string, Who[]> = {
  'events.>': ['observer'],
  'events.tasks.grant.1': ['observer'],
  'svc.tasks.grant.create': ['tasks'],
  'svc.assets.resolve': ['assets'],
  'svc.>': [],
  'jobs.>': [],
  'jobs.ipfs.agent-a.seal': [],
  '_INBOX.>': [],
  '_INBOX_gateway.x': ['gateway'],
  '_INBOX_tasks.x': ['tasks'],
  '>': [],
};

const SETTLE_MS = 250;

describe('NATS users and their permissions', () => {
  let nats: StartedNats;
  let admin: NatsConnection;
  const conns = new Map<Who, NatsConnection>();

  beforeAll(async () => {
    nats = await startNats();
    admin = await connectAs(nats);
    for (const [who, identity] of Object.entries(identities)) {
      conns.set(who as Who, await connectAs(nats, identity));
    }
  });

  afterAll(async () => {
    for (const nc of conns.values()) await nc.close().catch(() => undefined);
    await admin?.close();
    await nats?.stop();
  });

  /** Whether a message `who` publishes on `subject` reaches a subscriber (the admin). */
  const published = async (who: Who, subject: string): Promise<boolean> => {
    const tag = `${who}:${Math.random()}`;
    let arrived = false;
    const sub = admin.subscribe(subject, {
      callback: (_err, msg) => {
        if (msg.string() === tag) arrived = true;
      },
    });
    await admin.flush();
    const nc = conns.get(who)!;
    nc.publish(subject, tag);
    await nc.flush().catch(() => undefined);
    await new Promise((done) => setTimeout(done, SETTLE_MS));
    sub.unsubscribe();
    return arrived;
  };

  /** Whether `who` receives a message the admin publishes on `subject`. */
  const received = async (who: Who, subject: string): Promise<boolean> => {
    const nc = await connectAs(nats, identities[who]);
    try {
      let arrived = false;
      // A refused subscription calls back once with the permission error, never with a message.
      nc.subscribe(subject, { callback: (err) => void (arrived ||= err === null) });
      await nc.flush().catch(() => undefined);
      const concrete = subject.replace('>', 'probe').replaceAll('*', 'x');
      admin.publish(concrete, 'probe');
      await admin.flush();
      await new Promise((done) => setTimeout(done, SETTLE_MS));
      return arrived;
    } finally {
      await nc.close().catch(() => undefined);
    }
  };

  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers: nats.url, timeout: 3_000 })).rejects.toThrow(
      /Authorization|authentication|timeout/i,
    );
  });

  it('refuses credentials issued by another operator', async () => {
    const other = await startNats({ provision: false });
    try {
      const foreign = await readFile(await natsCreds(other, { kind: 'admin' }));
      await expect(
        connect({
          servers: nats.url,
          timeout: 3_000,
          authenticator: credsAuthenticator(new Uint8Array(foreign)),
        }),
      ).rejects.toThrow();
    } finally {
      await other.stop();
    }
  });

  for (const [subject, allowed] of Object.entries(publishers)) {
    it(`only ${allowed.join(', ') || 'the admin'} may publish on ${subject}`, async () => {
      const outcome = await Promise.all(
        (Object.keys(identities) as Who[]).map(async (who) => [who, await published(who, subject)]),
      );
      expect(Object.fromEntries(outcome)).toEqual(
        Object.fromEntries((Object.keys(identities) as Who[]).map((w) => [w, allowed.includes(w)])),
      );
    });
  }

  for (const [subject, allowed] of Object.entries(subscribers)) {
    it(`only ${allowed.join(', ') || 'the admin'} may subscribe to ${subject}`, async () => {
      const outcome = await Promise.all(
        (Object.keys(identities) as Who[]).map(async (who) => [who, await received(who, subject)]),
      );
      expect(Object.fromEntries(outcome)).toEqual(
        Object.fromEntries((Object.keys(identities) as Who[]).map((w) => [w, allowed.includes(w)])),
      );
    });
  }
});

describe('revoking a NATS user', () => {
  it('refuses the revoked creds once the account is pushed, with no server restart', async () => {
    const nats = await startNats();
    try {
      const revoked = new Uint8Array(
        await readFile(await natsCreds(nats, { kind: 'agent', agent: 'gone' })),
      );
      const kept = new Uint8Array(
        await readFile(await natsCreds(nats, { kind: 'agent', agent: 'stays' })),
      );
      const dial = (creds: Uint8Array) =>
        connect({ servers: nats.url, timeout: 3_000, authenticator: credsAuthenticator(creds) });
      await (await dial(revoked)).close(); // works before

      const authority = await revokeUser(await openAuthority(nats.authDir), userOfCreds(revoked));
      await saveAuthority(nats.authDir, authority);
      await pushAccount(authority, nats.url);

      await expect(dial(revoked)).rejects.toThrow(/Authorization|authentication/i);
      await (await dial(kept)).close();
      // A user issued after the revocation, with a new key, is not affected.
      await (await connectAs(nats, { kind: 'agent', agent: 'gone' })).close();
    } finally {
      await nats.stop();
    }
  });
});
