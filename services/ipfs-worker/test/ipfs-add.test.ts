import { connectAs, JobTap, natsAccess, natsEnv } from '@media-vault/test-harness';
import {
  AssetBuckets,
  AssetJobSubjects,
  JobConsumers,
  MergedJob,
  type IpfsAddJob,
} from '@media-vault/contracts';
import { makeTempDir, uniqueName, waitFor, type TempDir } from '@media-vault/test-harness';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadIpfsWorkerConfig } from '../src/config.js';
import { startIpfsWorker, type IpfsWorker } from '../src/ipfs-worker.js';
import { makeMergedFiles, stageTransit, type MergedFile } from './support/transit.js';

const servers = inject('servers');
const { kuboApiUrl } = servers;
const nats = natsAccess(servers);
const filesBucket = uniqueName('files');

/** Kubo's own RPC, not the worker's adapter, so the test sees what Kubo really holds. */
const kubo = async (command: string, arg: string): Promise<Response> => {
  const res = await fetch(`${kuboApiUrl}/api/v0/${command}?arg=${encodeURIComponent(arg)}`, {
    method: 'POST',
  });
  if (!res.ok) throw new Error(`kubo ${command} ${arg}: ${res.status} ${await res.text()}`);
  return res;
};

describe('ipfs worker add jobs, on Kubo', () => {
  let nc: NatsConnection;
  let worker: IpfsWorker;
  let tap: JobTap;
  let dir: TempDir;
  let merged: MergedFile[];

  beforeAll(async () => {
    dir = await makeTempDir('ipfs-add');
    merged = await makeMergedFiles(dir.path);
    nc = await connectAs(nats);
    worker = await startIpfsWorker(
      loadIpfsWorkerConfig({
        ...(await natsEnv(
          nats,
          { kind: 'ipfs-worker' },
          { buckets: { chunks: AssetBuckets.chunks, files: filesBucket } },
        )),
        HEALTH_PORT: '0',
        LOG_LEVEL: 'silent',
        IPFS_API_URL: kuboApiUrl,
        DATA_DIR: dir.path,
        // Bucket names and NATS permissions are what these tests are about: the NATS adapter.
        OBJECT_STORE: 'nats',
      }),
    );
    tap = await JobTap.start(nc, 'test-after-ipfs-add', [AssetJobSubjects.merged]);
  });

  afterAll(async () => {
    await tap?.stop();
    await worker?.close();
    await nc?.close();
    await dir?.remove();
  });

  const publishAdd = (job: IpfsAddJob, msgId = job.id) =>
    jetstream(nc).publish(AssetJobSubjects.ipfsAdd, JSON.stringify(job), { msgID: msgId });

  const transitLeft = async (job: IpfsAddJob): Promise<string[]> => {
    const store = await new Objm(nc).open(job.bucket);
    const left: string[] = [];
    for (const f of job.files) if (await store.get(f.object)) left.push(f.object);
    return left;
  };

  it('adds and pins every file, reports them, then clears the transit bucket', async () => {
    const job = await stageTransit(nc, merged, filesBucket);
    expect(merged[0]!.bytes.length).toBeGreaterThan(2 * 262_144);
    await publishAdd(job);

    const out = await tap.next(AssetJobSubjects.merged, job.id);
    expect(out.msgId).toBe(`${job.id}:merged`);
    expect(Value.Check(MergedJob, out.body)).toBe(true);
    const result = out.body as MergedJob;
    if (!result.ok) throw new Error(`merge failed: ${result.reason}`);
    expect(result).toMatchObject({ id: job.id, assetId: job.assetId, probe: job.probe });
    expect(result.files).toEqual(
      merged.map((m) => ({
        file: m.file,
        cid: expect.stringMatching(/^baf/),
        size: String(m.bytes.length),
        bitrate: m.bitrate,
        sampleRate: m.sampleRate,
      })),
    );

    for (const [i, f] of result.files.entries()) {
      const held = new Uint8Array(await (await kubo('cat', f.cid)).arrayBuffer());
      expect(Buffer.compare(held, merged[i]!.bytes)).toBe(0);
      const pins = (await (await kubo('pin/ls', f.cid)).json()) as {
        Keys: Record<string, { Type: string }>;
      };
      expect(pins.Keys[f.cid]?.Type).toBe('recursive');
    }
    await waitFor(
      'transit objects to be deleted',
      async () => (await transitLeft(job)).length === 0,
    );
  });

  it('answers a job whose transit object is gone with a failed merge', async () => {
    const job = await stageTransit(nc, merged, filesBucket);
    const gone = job.files[1]!;
    await (await new Objm(nc).open(job.bucket)).delete(gone.object);
    await publishAdd(job);

    const out = await tap.next(AssetJobSubjects.merged, job.id);
    expect(out.msgId).toBe(`${job.id}:merged`);
    expect(out.body).toEqual({
      id: job.id,
      assetId: job.assetId,
      ok: false,
      reason: `file 1 is missing: no object ${gone.object} in bucket ${job.bucket}`,
    });
    await waitFor(
      'transit objects to be deleted',
      async () => (await transitLeft(job)).length === 0,
    );
  });

  it('reports a job once when it is handled twice', async () => {
    const job = await stageTransit(nc, merged, filesBucket);
    // Two deliveries of one job, as after a crash between publishing the result and the ack.
    await publishAdd(job, `${job.id}#1`);
    await publishAdd(job, `${job.id}#2`);
    await tap.next(AssetJobSubjects.merged, job.id);
    await tap.settled([JobConsumers.ipfsAdd.name]);

    const results = tap.of(AssetJobSubjects.merged, job.id);
    expect(results).toHaveLength(1);
    expect(results[0]!.body).toMatchObject({ ok: true });
  });
});
