import { createHash } from 'node:crypto';
import type { GatewayClient } from './http-client.js';

/** What a flow made, so the checks afterwards know which rows and subjects are the run's. */
export interface FlowRecord {
  readonly kind: 'task' | 'audio';
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
