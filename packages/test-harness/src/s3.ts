import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { installHints, requireBinary } from './binaries.js';
import { startProcess } from './child-process.js';
import { freePort } from './free-port.js';
import { makeTempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

/** Where a test S3 server answers and the keys it accepts (the only ones it knows). */
export interface S3Access {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface StartedS3 extends S3Access {
  /** The server's data, removed by `stop`. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * SeaweedFS (`weed server`: master, volume server, filer and S3 gateway in one process) with its
 * data in a fresh temporary directory, every port a free one on 127.0.0.1, telemetry off. The S3
 * gateway knows one identity, an admin whose keys are made here and handed to the server through
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; anonymous requests are refused. Resolves once a volume
 * accepts writes, so the first put of a test does not race the server's start.
 */
export async function startS3(opts: { label?: string } = {}): Promise<StartedS3> {
  const weed = requireBinary('weed', installHints.weed);
  const dir = await makeTempDir('s3');
  const label = opts.label ?? 'seaweedfs';
  const access = {
    region: 'us-east-1',
    accessKeyId: `test${randomBytes(8).toString('hex')}`,
    secretAccessKey: randomBytes(24).toString('base64url'),
  };
  try {
    const [master, volume, filer, s3] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    // gRPC ports default to HTTP port + 10000, which may be taken: each gets a free one too.
    const grpc = [await freePort(), await freePort(), await freePort(), await freePort()];
    const proc = await startProcess({
      command: weed,
      args: [
        'server',
        `-dir=${dir.path}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        '-master.telemetry=false',
        `-master.port=${master}`,
        `-master.port.grpc=${grpc[0]}`,
        '-master.volumeSizeLimitMB=1024',
        `-volume.port=${volume}`,
        `-volume.port.grpc=${grpc[1]}`,
        '-volume.max=0',
        '-filer',
        `-filer.port=${filer}`,
        `-filer.port.grpc=${grpc[2]}`,
        `-filer.localSocket=${join(dir.path, 'filer.sock')}`,
        '-s3',
        `-s3.port=${s3}`,
        `-s3.port.grpc=${grpc[3]}`,
        // Catalog servers on fixed default ports this platform's services also use.
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
      ],
      env: { AWS_ACCESS_KEY_ID: access.accessKeyId, AWS_SECRET_ACCESS_KEY: access.secretAccessKey },
      cwd: dir.path,
      readyWhen: /Start Seaweed S3 API Server/,
      timeoutMs: 60_000,
      label,
    });
    const stop = async () => {
      try {
        await proc.stop();
      } finally {
        await dir.remove();
      }
    };
    try {
      // A fid from the master means a volume is writable; it also grows the first volumes now.
      await waitFor(
        'a writable SeaweedFS volume',
        async () => {
          const res = await fetch(`http://127.0.0.1:${master}/dir/assign`);
          return res.ok && typeof ((await res.json()) as { fid?: string }).fid === 'string';
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      await waitFor('the S3 gateway', async () => {
        const res = await fetch(`http://127.0.0.1:${s3}/`);
        await res.body?.cancel();
        return res.status === 403;
      });
    } catch (err) {
      await stop();
      throw new Error(`${label} did not become ready: ${(err as Error).message}\n${proc.output()}`);
    }
    const endpoint = `http://127.0.0.1:${s3}`;
    process.stderr.write(`${label} S3 ready at ${endpoint}\n`);
    return { endpoint, ...access, dataDir: dir.path, stop };
  } catch (err) {
    await dir.remove();
    throw err;
  }
}
