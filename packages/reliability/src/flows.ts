import type { Agent, Grant, MasterSource } from '@media-vault/contracts';
import { grantStatementFor, loadOwnerKey, OWNER_KEY_FILE, signGrant } from '@media-vault/sealed';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealedAgents, SealedMaster } from './agents.js';
import type { GatewayClient } from './http-client.js';

/** What a flow made, so the checks afterwards know which rows and subjects are the run's. */
export interface FlowRecord {
  readonly kind: 'task' | 'audio' | 'sealed';
  readonly completed: boolean;
  readonly error?: string;
  readonly ms: number;
  /** Ids the flow was told about: upload/download/private task ids, or the asset id. */
  readonly ids: Record<string, string>;
}

export interface Users {
  /** A signed-in user's token (seed 000 needs no role). */
  token(sub: string, roles?: number[]): Promise<string>;
}

const data = <T>(body: unknown): T => (body as { data: T }).data;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface TaskRecord {
  readonly id: number;
  readonly source_id: number;
  readonly status: number;
  readonly private_hash?: string;
}

/**
 * Seed 000's three flows, as the README walks them with curl: a studio creates an upload task
 * and reports it to 8, grants a licensee, who opens a download; the studio reports the private
 * block it owes to 8; the licensee reports the download to 8. `n` keeps users apart per flow, so
 * the studio's private list holds exactly this flow's task.
 */
/** Blocks the platform's node really holds, so the pin jobs a task at 8 sends can finish. */
export interface FlowBlocks {
  readonly public: string;
  readonly private: string;
}

export async function taskFlow(
  client: GatewayClient,
  users: Users,
  n: string,
  blocks: FlowBlocks,
): Promise<FlowRecord> {
  const started = Date.now();
  const ids: Record<string, string> = {};
  try {
    const studio = await users.token(`studio-${n}`);
    const licenseeId = `licensee-${n}`;
    const licensee = await users.token(licenseeId);
    const created = data<TaskRecord>(
      (
        await client.request('POST', '/tasks/upload/pbulic/', {
          token: studio,
          json: { series_id: 233, uuid: `uuid-${n}`, source_name: `episode ${n}` },
          idempotencyKey: randomUUID(),
        })
      ).body,
    );
    ids.upload = String(created.id);
    ids.source = String(created.source_id);
    const upload = `/tasks/upload/pbulic/${created.id}/`;
    await client.request('PATCH', upload, { token: studio, json: { status: 1, percent: 50 } });
    await client.request('PATCH', upload, { token: studio, json: { status: 2, percent: 50 } });
    await client.request('PATCH', upload, {
      token: studio,
      json: {
        status: 3,
        name: `ep${n}.pub`,
        file: 'series',
        hash: blocks.public,
        size: 102400,
        ip: 'QmUploaderPeer',
      },
    });
    await client.request('PATCH', upload, { token: studio, json: { status: 8, percent: 100 } });
    await client.request('POST', `/sources/${created.source_id}/grants/`, {
      token: studio,
      json: { user_id: licenseeId },
    });
    const download = data<TaskRecord>(
      (
        await client.request('GET', `/tasks/download/?source_id=${created.source_id}`, {
          token: licensee,
        })
      ).body,
    );
    ids.download = String(download.id);
    const dl = `/tasks/download/${download.id}/`;
    await client.request('PATCH', dl, { token: licensee, json: { status: 4, percent: 100 } });
    await client.request('PATCH', dl, { token: licensee, json: { status: 5 } });
    const owed = data<TaskRecord[]>(
      (await client.request('GET', '/tasks/upload/private/', { token: studio })).body,
    ).find((t) => t.source_id === created.source_id);
    if (!owed) throw new Error(`no private task owed for source ${created.source_id}`);
    ids.private = String(owed.id);
    const priv = `/tasks/upload/private/${owed.id}`;
    await client.request('PATCH', priv, { token: studio, json: { status: 3, percent: 50 } });
    await client.request('PATCH', priv, {
      token: studio,
      json: {
        status: 8,
        percent: 100,
        name: `ep${n}.key`,
        file: 'series',
        hash: blocks.private,
        size: 4096,
        ip: 'QmStudioPeer',
      },
    });
    const seen = data<TaskRecord>((await client.request('GET', dl, { token: licensee })).body);
    if (seen.private_hash !== blocks.private) {
      throw new Error(
        `download ${download.id} does not show the private block: ${JSON.stringify(seen)}`,
      );
    }
    for (const status of [6, 7, 8]) {
      await client.request('PATCH', dl, { token: licensee, json: { status, percent: 100 } });
    }
    return { kind: 'task', completed: true, ms: Date.now() - started, ids };
  } catch (err) {
    return {
      kind: 'task',
      completed: false,
      error: (err as Error).message,
      ms: Date.now() - started,
      ids,
    };
  }
}

export interface Mp3 {
  readonly bytes: Buffer;
  readonly hash: string;
}

interface AssetReply {
  readonly id: string;
  readonly chunkSize: number;
  readonly chunkCount: number;
  readonly status?: string;
  readonly asset?: { status: string };
}

/**
 * Seed 002's audio flow: create, every chunk as raw bytes, merge, wait for SUBMIT (the merge runs
 * through the media worker and the ipfs-worker), resolve as a reviewer, see it POST.
 */
export async function audioFlow(
  client: GatewayClient,
  users: Users,
  n: string,
  mp3: Mp3,
  /** Called when the flow reaches a step, so a fault can be aimed at it (e.g. mid-merge). */
  onStep: (step: 'chunks' | 'merge') => void = () => {},
  timeoutMs = 180_000,
): Promise<FlowRecord> {
  const started = Date.now();
  const ids: Record<string, string> = {};
  try {
    const owner = await users.token(`contributor-${n}`, [100]);
    const reviewer = await users.token(`reviewer-${n}`, [120]);
    const plan = (
      await client.request('POST', '/assets/audio', {
        token: owner,
        json: { name: `song-${n}.mp3`, size: String(mp3.bytes.length), hash: mp3.hash },
        idempotencyKey: randomUUID(),
      })
    ).body as AssetReply;
    ids.asset = plan.id;
    onStep('chunks');
    for (let index = 0; index < plan.chunkCount; index++) {
      const chunk = mp3.bytes.subarray(index * plan.chunkSize, (index + 1) * plan.chunkSize);
      await client.request(
        'POST',
        `/assets/audio/chunk_file/${plan.id}?index=${index}&hash=${sha256(chunk)}`,
        { token: owner, bytes: chunk },
      );
    }
    await client.request('POST', '/assets/audio/merge', { token: owner, json: { id: plan.id } });
    onStep('merge');
    const statusOf = async () => {
      const reply = (
        await client.request('GET', `/assets/audio/by_id?id=${plan.id}`, { token: owner })
      ).body as { status?: string; asset?: { status: string }; reason?: string };
      return reply.asset?.status ?? reply.status;
    };
    const deadline = Date.now() + timeoutMs;
    let status = await statusOf();
    while (status !== 'SUBMIT') {
      if (status === 'DRAFT')
        throw new Error(`asset ${plan.id} went back to DRAFT: the merge failed`);
      if (Date.now() > deadline)
        throw new Error(`asset ${plan.id} still ${status} after ${timeoutMs} ms`);
      await sleep(500);
      status = await statusOf();
    }
    // A resolve whose reply was lost and is sent again meets POST: 409, and the asset is posted.
    await client.request('POST', `/assets/audio/resolve/${plan.id}`, {
      token: reviewer,
      accept: [409],
    });
    if ((await statusOf()) !== 'POST')
      throw new Error(`asset ${plan.id} is not POST after resolve`);
    return { kind: 'audio', completed: true, ms: Date.now() - started, ids };
  } catch (err) {
    return {
      kind: 'audio',
      completed: false,
      error: (err as Error).message,
      ms: Date.now() - started,
      ids,
    };
  }
}

export type SealedStep = 'seal' | 'release' | 'compose';

interface DownloadRecord {
  readonly id: number;
  readonly status: number;
  readonly private_status?: number;
  readonly reason?: string;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The sealed round trip, as the README walks it with `vault upload`, `vault grant` and `vault
 * download`: the studio creates an upload task naming its agent and the master's path, and
 * the studio's agent seals it (public block to IPFS, private block to its vault); the owner
 * signs a grant for the licensee's agent with the owner key beside the studio's agent; the
 * licensee opens a download with its agent, the studio's agent releases the key to it, and the
 * licensee's agent fetches, decrypts and composes; the composed file must be byte-identical.
 *
 * A task that ends in 9 is asked again the way the product says to (the API's retry 9 → 0:
 * `vault private release` for a release, a download or upload reported 0 again); each ask is
 * named in `asked`, so the report says when a user would have had to.
 */
export async function sealedFlow(
  client: GatewayClient,
  agents: SealedAgents,
  n: string,
  master: SealedMaster,
  onStep: (step: SealedStep) => void = () => {},
  /** Filled in as the flow learns its task ids, so a fault can look at them while it runs. */
  ids: Record<string, string> = {},
  timeoutMs = 240_000,
): Promise<FlowRecord & { asked: string[] }> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const asked: string[] = [];
  const { studio, licensee } = agents;
  const overdue = (what: string) => {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms`);
  };
  try {
    const created = data<TaskRecord>(
      (
        await client.request('POST', '/tasks/upload/pbulic/', {
          token: studio.token,
          json: {
            series_id: 233,
            uuid: `sealed-${n}`,
            source_name: master.name,
            path: master.path,
            agent: studio.id,
          },
          idempotencyKey: randomUUID(),
        })
      ).body,
    );
    ids.upload = String(created.id);
    ids.source = String(created.source_id);
    for (;;) {
      const source = data<MasterSource>(
        (await client.request('GET', `/sources/${created.source_id}/`, { token: studio.token }))
          .body,
      );
      if (source.status === 8) break;
      if (source.status === 1 || source.status === 2) onStep('seal');
      if (source.status === 9) {
        asked.push(`upload ${created.id} ended in 9, reported 0 again`);
        await client.request('PATCH', `/tasks/upload/pbulic/${created.id}/`, {
          token: studio.token,
          json: { status: 0 },
        });
      }
      overdue(`source ${created.source_id} not sealed (status ${source.status})`);
      await sleep(100);
    }

    // `vault grant <source> <user> --agent <licensee's agent>`, signed with the owner key.
    const owner = loadOwnerKey(await readFile(join(studio.keyDir, OWNER_KEY_FILE), 'utf8'));
    const source = data<MasterSource>(
      (await client.request('GET', `/sources/${created.source_id}/`, { token: studio.token })).body,
    );
    const agentOf = async (id: string) =>
      data<Agent>((await client.request('GET', `/agents/${id}/`, { token: studio.token })).body);
    const statement = grantStatementFor({
      source: { uuid: source.uuid, publicBlock: source.hash, owner: source.user_id },
      sealer: await agentOf(source.sealed_by!),
      recipient: await agentOf(licensee.id),
      notBefore: null,
      notAfter: null,
    });
    data<Grant>(
      (
        await client.request('POST', `/sources/${created.source_id}/grants/`, {
          token: studio.token,
          json: { user_id: licensee.userId, signed_grant: signGrant(statement, owner) },
        })
      ).body,
    );

    // `vault download <source> --agent <licensee's agent>`: asking again returns the same task.
    const opened = data<DownloadRecord>(
      (
        await client.request(
          'GET',
          `/tasks/download/?source_id=${created.source_id}&agent=${licensee.id}`,
          { token: licensee.token },
        )
      ).body,
    );
    ids.download = String(opened.id);
    // The release the download asked for: the studio's private task for this source.
    const privateTask = async () => {
      const owed = data<TaskRecord[]>(
        (await client.request('GET', '/tasks/upload/private/', { token: studio.token })).body,
      ).find((t) => t.source_id === created.source_id);
      if (owed) ids.private = String(owed.id);
      return owed;
    };
    onStep('release');
    for (;;) {
      const download = data<DownloadRecord>(
        (await client.request('GET', `/tasks/download/${opened.id}/`, { token: licensee.token }))
          .body,
      );
      if (download.status === 8) break;
      if (download.status === 6 || download.status === 7) onStep('compose');
      const owed = download.private_status === 9 ? await privateTask() : undefined;
      if (owed?.status === 9) {
        asked.push(`release ${owed.id} ended in 9, released again`);
        await client.request('PATCH', `/tasks/upload/private/${owed.id}`, {
          token: studio.token,
          json: { status: 0 },
          accept: [409],
        });
      } else if (download.status === 9) {
        asked.push(`download ${opened.id} ended in 9 (${download.reason ?? 'no reason'})`);
        await client.request('PATCH', `/tasks/download/${opened.id}/`, {
          token: licensee.token,
          json: { status: 0 },
          accept: [409],
        });
      }
      overdue(`download ${opened.id} not composed (status ${download.status})`);
      await sleep(100);
    }
    if (!(await privateTask())) throw new Error(`no private task for source ${created.source_id}`);
    const composed = await sha256File(join(licensee.downloadDir, master.name));
    if (composed !== master.sha256) {
      throw new Error(`the composed ${master.name} differs from the master (sha256 ${composed})`);
    }
    return { kind: 'sealed', completed: true, ms: Date.now() - started, ids, asked };
  } catch (err) {
    return {
      kind: 'sealed',
      completed: false,
      error: (err as Error).message,
      ms: Date.now() - started,
      ids,
      asked,
    };
  }
}
