import type {
  AuditEntry,
  DownloadTask,
  Grant,
  PrivateUploadTask,
  UploadTask,
} from '@media-vault/contracts';
import {
  agentPublicKeys,
  decodeRawKey,
  encodeRawKey,
  exportOwnerKey,
  fingerprintDisplay,
  fingerprintHex,
  generateAgentIdentity,
  generateOwnerKey,
  grantSignatureProblem,
  signAuditBody,
  type AgentIdentity,
} from '@media-vault/sealed';
import { freePort, makeTempDir, readJobs, type TempDir } from '@media-vault/test-harness';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot, startVaultStack, waitUntil, type VaultStack } from './stack.js';

type Upload = UploadTask & { user_id: string };
type Download = DownloadTask & { agent: string; private_task_id: number };
type Private = PrivateUploadTask & { download_task_id: number; reason: string };

let stack: VaultStack;
let dir: TempDir;
let studio: string;
let licensee: string;
const keys = {
  public_key: Buffer.alloc(32, 7).toString('base64'),
  signing_key: Buffer.alloc(32, 9).toString('base64'),
};

beforeAll(async () => {
  const postgresUrl = inject('servers').postgresUrl!;
  stack = await startVaultStack('cli', postgresUrl);
  dir = await makeTempDir('cli-e2e');
  studio = await stack.token('studio-1');
  licensee = await stack.token('licensee-1');
  for (const [token, id] of [
    [studio, 'studio-agent'],
    [licensee, 'licensee-agent'],
  ] as const) {
    const res = await stack.call('POST', '/agents/', token, { id, peer_id: `peer-${id}`, ...keys });
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await stack?.stop();
  await dir?.remove();
});

/** A master folder `<root>/<name>/` with files (names relative to it, `/` for subfolders). */
async function masterFolder(
  name: string,
  files: string[],
): Promise<{ root: string; folder: string }> {
  const root = join(dir.path, `${name}-root`);
  const folder = join(root, name);
  for (const file of files) {
    await mkdir(join(folder, file, '..'), { recursive: true });
    await writeFile(join(folder, file), `not really a film: ${file}`);
  }
  return { root, folder };
}

/** The upload tasks whose events name these files (created by the CLI under test). */
const uploadsNamed = async (names: string[]) =>
  waitUntil(`upload tasks for ${names.join(', ')}`, async () => {
    const records = await stack.records<Upload>('events.tasks.upload.*');
    const found = names.map((n) => records.find((r) => r.source_name === n && r.status === 0));
    return found.every(Boolean) ? (found as Upload[]) : undefined;
  });

const patch = async (
  kind: 'upload/pbulic' | 'download' | 'upload/private',
  id: number,
  token: string,
  body: object,
) => {
  const res = await stack.call('PATCH', `/tasks/${kind}/${id}/`, token, body);
  expect(res.status, res.message).toBe(200);
};

/** A source of the studio whose public block is uploaded, and a grant for the licensee. */
async function downloadableSource(name: string): Promise<number> {
  const created = await stack.call<UploadTask>('POST', '/tasks/upload/pbulic/', studio, {
    series_id: 233,
    uuid: `uuid-${name}`,
    source_name: name,
  });
  expect(created.status).toBe(200);
  await patch('upload/pbulic', created.data.id, studio, {
    status: 8,
    hash: `QmPublic${name}`,
    size: 1024,
  });
  const grant = await stack.call('POST', `/sources/${created.data.source_id}/grants/`, studio, {
    user_id: 'licensee-1',
  });
  expect(grant.status).toBe(200);
  return created.data.source_id;
}

const downloadOf = (sourceId: number) =>
  waitUntil(`download task of source ${sourceId}`, async () =>
    (await stack.records<Download>('events.tasks.download.*')).find(
      (r) => r.source_id === sourceId,
    ),
  );

describe('vault upload', () => {
  it('creates a task per video file with its path under the root, follows them and exits 1 when one fails', async () => {
    const { root, folder } = await masterFolder('仙剑奇侠传', [
      'ep1.mov',
      'season/ep2.MOV',
      'notes.txt',
      '.hidden.mov',
      '._ep1.mov',
    ]);
    const run = stack.vault(
      ['upload', folder, '--agent', 'studio-agent', '--root', root, '--series', '233'],
      {
        VAULT_TOKEN: studio,
      },
    );
    const [ep1, ep2] = await uploadsNamed(['ep1.mov', 'ep2.MOV']);
    expect(ep1!.series_id).toBe(233);
    // The seal jobs carry the paths the agent opens, relative to its ingest root.
    const jobs = await readJobs<{ taskId: number; path: string }>(
      stack.nc,
      'jobs.ipfs.studio-agent.seal',
    );
    const pathOf = (id: number) => jobs.find((j) => j.job.taskId === id)?.job.path;
    expect(pathOf(ep1!.id)).toBe('仙剑奇侠传/ep1.mov');
    expect(pathOf(ep2!.id)).toBe('仙剑奇侠传/season/ep2.MOV');

    // The owner reports at once: the CLI must not miss what happened before it subscribed.
    await patch('upload/pbulic', ep1!.id, studio, { status: 1, percent: 50 });
    await patch('upload/pbulic', ep1!.id, studio, { status: 3, hash: 'QmEp1Public', size: 99 });
    await patch('upload/pbulic', ep1!.id, studio, { status: 8 });
    await patch('upload/pbulic', ep2!.id, studio, { status: 9 });

    const result = await run.done;
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^file\s+task\s+source_id\s+status\s+public block$/);
    expect(lines.find((l) => l.startsWith('ep1.mov'))).toMatch(
      new RegExp(
        `^ep1\\.mov\\s+${ep1!.id}\\s+${ep1!.source_id}\\s+8 已完成 \\(done\\)\\s+QmEp1Public$`,
      ),
    );
    expect(lines.find((l) => l.startsWith('season/ep2.MOV'))).toMatch(/9 出现错误 \(error\)\s+-$/);
    expect(lines).toHaveLength(3);
    // No terminal: a line per change on stderr, not bars.
    expect(result.stderr).not.toContain('\u001b[');
    expect(result.stderr).toMatch(/upload task \d+ season\/ep2\.MOV: 9 出现错误 \(error\)/);
  });

  it('--no-wait --json prints the created tasks and exits 0', async () => {
    const { root, folder } = await masterFolder('nowait', ['a.mp4', 'b/c.mkv']);
    const result = await stack.vault(
      ['upload', folder, '--agent', 'studio-agent', '--root', root, '--no-wait', '--json'],
      { VAULT_TOKEN: studio },
    ).done;
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as {
      file: string;
      path: string;
      status: number;
      task_id: number;
    }[];
    expect(rows.map((r) => [r.file, r.path, r.status])).toEqual([
      ['a.mp4', 'nowait/a.mp4', 0],
      ['b/c.mkv', 'nowait/b/c.mkv', 0],
    ]);
  });

  it('all done: exit 0', async () => {
    const { root, folder } = await masterFolder('alldone', ['only.mxf']);
    const run = stack.vault(['upload', folder, '--agent', 'studio-agent', '--root', root], {
      VAULT_TOKEN: studio,
    });
    const [only] = await uploadsNamed(['only.mxf']);
    await patch('upload/pbulic', only!.id, studio, { status: 8, hash: 'QmOnly' });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/only\.mxf\s+\d+\s+\d+\s+8 已完成 \(done\)\s+QmOnly/);
  });

  it('refuses a folder outside the ingest root and creates nothing (exit 2)', async () => {
    const { folder } = await masterFolder('outside', ['x.mov']);
    const elsewhere = join(dir.path, 'another-root');
    await mkdir(elsewhere, { recursive: true });
    const before = (await stack.records<Upload>('events.tasks.upload.*')).length;
    const result = await stack.vault(
      ['upload', folder, '--agent', 'studio-agent', '--root', elsewhere],
      { VAULT_TOKEN: studio },
    ).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nothing was created[\s\S]*x\.mov: is outside the ingest root/);
    expect((await stack.records<Upload>('events.tasks.upload.*')).length).toBe(before);
  });

  it('follows by polling the HTTP API when NATS is unreachable, and says so once', async () => {
    const { root, folder } = await masterFolder('polling', ['p.webm']);
    const run = stack.vault(
      [
        'upload',
        folder,
        '--agent',
        'studio-agent',
        '--root',
        root,
        '--nats',
        `nats://127.0.0.1:${await freePort()}`,
      ],
      { VAULT_TOKEN: studio },
    );
    const [p] = await uploadsNamed(['p.webm']);
    await patch('upload/pbulic', p!.id, studio, { status: 3, hash: 'QmPolled' });
    await patch('upload/pbulic', p!.id, studio, { status: 8 });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/polling the HTTP API every second/g)).toHaveLength(1);
    expect(result.stdout).toMatch(/p\.webm\s+\d+\s+\d+\s+8 已完成 \(done\)\s+QmPolled/);
  });

  it('without NATS credentials follows its own events through the gateway, percent and all', async () => {
    const { root, folder } = await masterFolder('via-gateway', ['g.webm']);
    // A user's shell: a token, no NATS credentials.
    const run = stack.vault(['upload', folder, '--agent', 'studio-agent', '--root', root], {
      VAULT_TOKEN: studio,
      NATS_CREDS: '',
    });
    const [g] = await uploadsNamed(['g.webm']);
    // Polling reads the source, which has no percent: only events carry it. Progress is reported
    // until the CLI shows it, as its stream may open after the first report.
    await waitUntil('the sealing percent on stderr', async () => {
      const percent = 10 + Math.floor(Math.random() * 80);
      await patch('upload/pbulic', g!.id, studio, { status: 2, percent });
      await new Promise((resolve) => setTimeout(resolve, 200));
      return new RegExp(`upload task ${g!.id} g\\.webm: 2 .*${percent}%`).test(run.stderr())
        ? true
        : undefined;
    });
    await patch('upload/pbulic', g!.id, studio, { status: 3, hash: 'QmViaGateway' });
    await patch('upload/pbulic', g!.id, studio, { status: 8 });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/polling|NATS/);
    expect(result.stdout).toMatch(/g\.webm\s+\d+\s+\d+\s+8 已完成 \(done\)\s+QmViaGateway/);
  });
});

/** The licensee runs `vault download` on a fresh granted source; resolves once its task exists. */
async function licenseeDownloads(name: string, ...flags: string[]) {
  const sourceId = await downloadableSource(name);
  const run = stack.vault(['download', String(sourceId), '--agent', 'licensee-agent', ...flags], {
    VAULT_TOKEN: licensee,
  });
  return { run, task: await downloadOf(sourceId) };
}

describe('vault download', () => {
  it('follows 4 → 5 → 6 → 7 → 8 from the events and exits 0', async () => {
    const { run, task } = await licenseeDownloads('ep-download', '--json');
    expect(task.agent).toBe('licensee-agent');
    await patch('download', task.id, licensee, { status: 4, percent: 30 });
    // The CLI shows the latest state it has caught up on, so the next change waits until this
    // one is on screen: a CLI that starts watching late would otherwise never show 30%.
    await waitUntil('the CLI to show 30%', async () => /30%/.test(run.stderr()) || undefined);
    await patch('download', task.id, licensee, { status: 4, percent: 100 });
    await patch('download', task.id, licensee, { status: 5 });
    await waitUntil(
      'the CLI to show waiting',
      async () => /等待授权中/.test(run.stderr()) || undefined,
    );
    // The owner's agent releases the private block; the download task's private_* follow.
    await patch('upload/private', task.private_task_id, studio, {
      status: 8,
      hash: 'QmPrivateBlock',
      size: 512,
    });
    for (const status of [6, 7, 8]) await patch('download', task.id, licensee, { status });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout) as Download;
    expect(record).toMatchObject({ id: task.id, status: 8, private_hash: 'QmPrivateBlock' });
    for (const seen of [
      '4 下载中 (downloading)',
      '30%',
      '5 等待授权中',
      '6 下载密钥中',
      '7 合成中',
      '8 已完成',
    ]) {
      expect(result.stderr).toContain(seen);
    }
  });

  it('exits 1 when the download ends in 9, and prints where it stopped', async () => {
    const { run, task } = await licenseeDownloads('ep-fails');
    await patch('download', task.id, licensee, { status: 4, percent: 10 });
    await patch('download', task.id, licensee, { status: 9 });
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`download task ${task.id}: 9 出现错误 \\(error\\)`));
    expect(result.stderr).toMatch(/failed \(9\)/);
  });

  it('--timeout ends the wait with exit 4', async () => {
    const result = await (await licenseeDownloads('ep-slow', '--timeout', '1.5')).run.done;
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/timed out after 1.5 s/);
    expect(result.stdout).toMatch(/download task \d+: 0 未开始/);
  });

  it('Ctrl-C ends the wait with the summary so far and exit 130', async () => {
    const { run, task } = await licenseeDownloads('ep-interrupted');
    await patch('download', task.id, licensee, { status: 4, percent: 42 });
    await waitUntil('the CLI to show 42%', async () => /42%/.test(run.stderr()) || undefined);
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toMatch(
      new RegExp(`download task ${task.id}: 4 下载中 \\(downloading\\) 42%`),
    );
    expect(result.stderr).toMatch(/interrupted; the tasks go on/);
  });

  it('without a grant: the server says why and the CLI exits 3', async () => {
    const created = await stack.call<UploadTask>('POST', '/tasks/upload/pbulic/', studio, {
      series_id: 1,
      uuid: 'ungranted',
      source_name: 'ungranted.mov',
    });
    const result = await stack.vault(
      ['download', String(created.data.source_id), '--agent', 'licensee-agent'],
      { VAULT_TOKEN: licensee },
    ).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^vault: GET \/api\/v1\/tasks\/download\/: .+ \(HTTP 404\)$/m);
  });
});

describe('vault private', () => {
  it('lists the private blocks owed by series and watches a release to the end', async () => {
    const sourceId = await downloadableSource('ep-private');
    const opened = await stack.call<DownloadTask>(
      'GET',
      `/tasks/download/?source_id=${sourceId}`,
      licensee,
    );
    expect(opened.status).toBe(200);
    const owed = await waitUntil('the private task', async () =>
      (await stack.records<Private>('events.tasks.private.*')).find(
        (r) => r.download_task_id === opened.data.id,
      ),
    );

    const list = await stack.vault(['private', 'list'], { VAULT_TOKEN: studio }).done;
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^series 233$/m);
    expect(list.stdout).toMatch(
      new RegExp(`^\\s+${owed.id}\\s+${sourceId}\\s+ep-private\\s+0 未开始`, 'm'),
    );
    expect(list.stdout).toMatch(/statuses: 0 未开始, 3 上载中, 8 已完成, 9 出现错误/);

    const watch = stack.vault(['private', 'watch', String(owed.id), '--json'], {
      VAULT_TOKEN: studio,
    });
    await patch('upload/private', owed.id, studio, { status: 3, percent: 40 });
    await patch('upload/private', owed.id, studio, { status: 8, hash: 'QmReleased' });
    const result = await watch.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([
      { id: owed.id, status: 8, hash: 'QmReleased' },
    ]);

    // Someone who owes nothing: nothing to follow, done at once.
    const idle = await stack.vault(['private', 'watch'], {
      VAULT_TOKEN: await stack.token('studio-2'),
    }).done;
    expect(idle.code).toBe(0);
    expect(idle.stdout).toMatch(/no private block releases in progress/);
  });

  it('release retries a failed release (9 → 0) and follows it; a done one is left alone', async () => {
    const sourceId = await downloadableSource('ep-retry');
    const opened = await stack.call<DownloadTask>(
      'GET',
      `/tasks/download/?source_id=${sourceId}`,
      licensee,
    );
    const owed = await waitUntil('the private task', async () =>
      (await stack.records<Private>('events.tasks.private.*')).find(
        (r) => r.download_task_id === opened.data.id,
      ),
    );
    await patch('upload/private', owed.id, studio, { status: 9, reason: 'vault offline' });

    const release = stack.vault(['private', 'release', String(owed.id), '--json'], {
      VAULT_TOKEN: studio,
    });
    // The task was at 9 when the CLI started; back at 0 means the CLI retried it.
    await waitUntil('the retry', async () => {
      const list = await stack.call<Private[]>('GET', '/tasks/upload/private/', studio);
      return list.data.some((t) => t.id === owed.id && t.status === 0) || undefined;
    });
    await patch('upload/private', owed.id, studio, { status: 8, hash: 'QmRetried' });
    const result = await release.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([
      { id: owed.id, status: 8, hash: 'QmRetried' },
    ]);

    const again = await stack.vault(['private', 'release', String(owed.id)], {
      VAULT_TOKEN: studio,
    }).done;
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already released \(QmRetried\)/);
  });
});

describe('grants, agents, status', () => {
  it('grant, grants and revoke', async () => {
    const sourceId = await downloadableSource('ep-grants');
    const grant = await stack.vault(
      ['grant', String(sourceId), 'someone', '--not-after', '2031-01-01T00:00:00Z', '--json'],
      { VAULT_TOKEN: studio },
    ).done;
    expect(grant.code, grant.stderr).toBe(0);
    expect(JSON.parse(grant.stdout)).toMatchObject({
      user_id: 'someone',
      status: 'active',
      valid: true,
    });

    const revoke = await stack.vault(['revoke', String(sourceId), 'someone'], {
      VAULT_TOKEN: studio,
    }).done;
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(/someone\s+revoked\s+no/);

    const list = await stack.vault(['grants', String(sourceId), '--json'], { VAULT_TOKEN: studio })
      .done;
    const grants = JSON.parse(list.stdout) as Grant[];
    expect(grants.map((g) => [g.user_id, g.status]).sort()).toEqual([
      ['licensee-1', 'active'],
      ['someone', 'revoked'],
    ]);

    // Someone else's source: not visible, so 404 with the server's message, exit 3.
    const refused = await stack.vault(['grants', String(sourceId)], { VAULT_TOKEN: licensee }).done;
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/HTTP 40[34]/);
  });

  it('grant --agent signs a statement naming the agent’s keys; revoke signs its withdrawal', async () => {
    const owner = generateOwnerKey();
    const ownerFile = join(dir.path, 'owner.json');
    await writeFile(ownerFile, exportOwnerKey(owner), { mode: 0o600 });
    // The studio's agent obeys that owner key, as `npm run agent` registers it.
    const registered = await stack.call('POST', '/agents/', studio, {
      id: 'studio-agent',
      peer_id: 'peer-studio-agent',
      ...keys,
      owner_key: encodeRawKey(owner.publicKey),
    });
    expect(registered.status).toBe(200);
    const created = await stack.call<UploadTask>('POST', '/tasks/upload/pbulic/', studio, {
      series_id: 233,
      uuid: 'uuid-ep-signed',
      source_name: 'ep-signed.mov',
      path: 'ep-signed.mov',
      agent: 'studio-agent',
    });
    expect(created.status).toBe(200);
    await patch('upload/pbulic', created.data.id, studio, {
      status: 8,
      hash: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
      size: 1024,
    });
    const sourceId = String(created.data.source_id);

    const granted = await stack.vault(
      ['grant', sourceId, 'licensee-1', '--agent', 'licensee-agent', '--owner-key', ownerFile],
      { VAULT_TOKEN: studio, VAULT_OWNER_KEY: '' },
    ).done;
    expect(granted.code, granted.stderr).toBe(0);
    // The fingerprints signed are shown, to be compared with the licensee's.
    const shown = (key: string) => fingerprintDisplay(fingerprintHex(decodeRawKey(key)));
    expect(granted.stderr).toContain(`licensee-agent X25519  ${shown(keys.public_key)}`);
    expect(granted.stderr).toContain(`licensee-agent Ed25519 ${shown(keys.signing_key)}`);
    expect(granted.stdout).toMatch(/licensee-1\s+active\s+yes\s+.*\s+licensee-agent\s+studio-1/);
    const [stored] = (await stack.call<Grant[]>('GET', `/sources/${sourceId}/grants/`, studio))
      .data;
    expect(stored?.signed_grant?.statement).toMatchObject({
      source: 'uuid-ep-signed',
      recipient: 'licensee-1',
      recipient_agent: 'licensee-agent',
      sealer: 'studio-agent',
    });
    expect(grantSignatureProblem(stored!.signed_grant!, owner.publicKey)).toBeUndefined();

    // A key the sealing agent does not obey, or an agent of another user: refused, nothing sent.
    const stranger = join(dir.path, 'stranger.json');
    await writeFile(stranger, exportOwnerKey(generateOwnerKey()), { mode: 0o600 });
    const wrongKey = await stack.vault(
      ['grant', sourceId, 'licensee-1', '--agent', 'licensee-agent', '--owner-key', stranger],
      { VAULT_TOKEN: studio },
    ).done;
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toMatch(/is not the one agent studio-agent obeys/);
    const wrongAgent = await stack.vault(
      ['grant', sourceId, 'licensee-1', '--agent', 'studio-agent'],
      { VAULT_TOKEN: studio, VAULT_OWNER_KEY: ownerFile },
    ).done;
    expect(wrongAgent.code).toBe(2);
    expect(wrongAgent.stderr).toMatch(
      /agent studio-agent belongs to user studio-1, not licensee-1/,
    );

    const revoked = await stack.vault(['revoke', sourceId, 'licensee-1', '--json'], {
      VAULT_TOKEN: studio,
      VAULT_OWNER_KEY: ownerFile,
    }).done;
    expect(revoked.code, revoked.stderr).toBe(0);
    const withdrawn = JSON.parse(revoked.stdout) as Grant;
    expect(withdrawn.status).toBe('revoked');
    expect(withdrawn.signed_revocation?.statement.grant).toBe(stored!.signed_grant!.statement.id);
  });

  it('agents lists the caller’s agents', async () => {
    const result = await stack.vault(['agents'], { VAULT_TOKEN: studio }).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^id\s+name\s+peer id/);
    expect(result.stdout).toMatch(/^studio-agent\s+-\s+peer-studio-agent/m);
    expect(result.stdout).not.toMatch(/licensee-agent/);
  });

  it('status reads upload (from its last event), download, private and source', async () => {
    const sourceId = await downloadableSource('ep-status');
    // The event goes out through the outbox, a moment after the API answered.
    const upload = await waitUntil('the upload task at 8', async () =>
      (await stack.records<Upload>('events.tasks.upload.*')).find(
        (r) => r.source_id === sourceId && r.status === 8,
      ),
    );
    const asJson = async (args: string[], token: string) => {
      const result = await stack.vault([...args, '--json'], { VAULT_TOKEN: token }).done;
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    expect(await asJson(['status', 'upload', String(upload.id)], studio)).toMatchObject({
      id: upload.id,
      status: 8,
      hash: 'QmPublicep-status',
    });
    expect(await asJson(['status', 'source', String(sourceId)], studio)).toMatchObject({
      source_id: sourceId,
      upload_id: upload.id,
    });
    const opened = await stack.call<DownloadTask>(
      'GET',
      `/tasks/download/?source_id=${sourceId}`,
      licensee,
    );
    expect(await asJson(['status', 'download', String(opened.data.id)], licensee)).toMatchObject({
      id: opened.data.id,
      status: 0,
    });
    const owed = await waitUntil('the private task', async () =>
      (await stack.records<Private>('events.tasks.private.*')).find(
        (r) => r.download_task_id === opened.data.id,
      ),
    );
    const text = await stack.vault(['status', 'private', String(owed.id)], { VAULT_TOKEN: studio })
      .done;
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status\s+0 未开始 \(not started\)$/m);

    const unknown = await stack.vault(['status', 'upload', '999999'], { VAULT_TOKEN: studio }).done;
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/no status event of upload task 999999/);

    await patch('download', opened.data.id, licensee, { status: 9 });
    const failed = await stack.vault(['status', 'download', String(opened.data.id)], {
      VAULT_TOKEN: licensee,
    }).done;
    expect(failed.code).toBe(1);
  });
});

describe('vault audit', () => {
  const auditAgents = {
    studio: generateAgentIdentity('studio-audit'),
    licensee: generateAgentIdentity('licensee-audit'),
  };
  const trustKeys = Object.values(auditAgents).flatMap((a) => [
    '--trust-key',
    `${a.id}=${encodeRawKey(a.signingPublicKey)}`,
  ]);
  let registered = false;
  let made = 0;

  /** What an agent sends: its entry, signed with its key. */
  const append = async (
    token: string,
    user: string,
    agent: AgentIdentity,
    source: { id: number; uuid: string },
    kind: 'release' | 'fetch' | 'compose',
    data: Record<string, unknown>,
  ) => {
    const sourceId = source.id;
    const body = {
      entry_id: `job-${sourceId}:${kind}`,
      source_id: sourceId,
      source_uuid: source.uuid,
      kind,
      at: new Date().toISOString(),
      actor: { user_id: user, agent: agent.id },
      data,
    };
    const { source_id: _id, ...fields } = { ...body, signature: signAuditBody(body, agent) };
    const res = await stack.call<AuditEntry>('POST', `/sources/${sourceId}/audit/`, token, fields);
    expect(res.status, res.message).toBe(200);
  };

  /** A source whose log holds grant, release, fetch and compose, as the pipeline writes them. */
  async function auditedSource(): Promise<number> {
    if (!registered) {
      for (const [token, agent] of [
        [studio, auditAgents.studio],
        [licensee, auditAgents.licensee],
      ] as const) {
        const res = await stack.call('POST', '/agents/', token, {
          id: agent.id,
          peer_id: `peer-${agent.id}`,
          ...agentPublicKeys(agent),
        });
        expect(res.status, res.message).toBe(200);
      }
      registered = true;
    }
    const uuid = `uuid-ep-audit-${++made}`;
    const created = await stack.call<UploadTask>('POST', '/tasks/upload/pbulic/', studio, {
      series_id: 233,
      uuid,
      source_name: 'ep-audit.mp4',
    });
    expect(created.status).toBe(200);
    const id = created.data.source_id;
    const grant = await stack.call('POST', `/sources/${id}/grants/`, studio, {
      user_id: 'licensee-1',
    });
    expect(grant.status).toBe(200);
    await append(studio, 'studio-1', auditAgents.studio, { id, uuid }, 'release', {
      envelope_cid: 'bafyenvelope',
      recipient: { user_id: 'licensee-1', agent: auditAgents.licensee.id },
    });
    await append(licensee, 'licensee-1', auditAgents.licensee, { id, uuid }, 'fetch', {
      envelope_cid: 'bafyenvelope',
    });
    await append(licensee, 'licensee-1', auditAgents.licensee, { id, uuid }, 'compose', {
      download_task_id: 1,
    });
    return id;
  }

  /** The database, as an operator with root on it would change it behind the platform's back. */
  const tamper = async (statement: (sql: postgres.Sql) => Promise<unknown>) => {
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await statement(sql);
    } finally {
      await sql.end();
    }
  };

  const audit = (args: string[], env: Record<string, string> = { VAULT_TOKEN: studio }) =>
    stack.vault(['audit', ...args], env).done;

  it("prints a source's history and verifies the chain and every signature (exit 0)", async () => {
    const sourceId = await auditedSource();
    const listed = await audit([String(sourceId)]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^seq\s+time \(UTC\)\s+kind\s+actor\s+agent\s+hash$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).filter((_, i) => i !== 1))).toEqual([
      ['1', 'grant', 'studio-1', '-', expect.stringMatching(/^[0-9a-f]{12}$/)],
      ['2', 'release', 'studio-1', 'studio-audit', expect.stringMatching(/^[0-9a-f]{12}$/)],
      ['3', 'fetch', 'licensee-1', 'licensee-audit', expect.stringMatching(/^[0-9a-f]{12}$/)],
      ['4', 'compose', 'licensee-1', 'licensee-audit', expect.stringMatching(/^[0-9a-f]{12}$/)],
    ]);

    const verified = await audit([String(sourceId), '--verify', ...trustKeys]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/\s+check\n/);
    expect(
      verified.stdout
        .trim()
        .split('\n')
        .slice(1)
        .every((l) => l.endsWith(' ok')),
    ).toBe(true);
    expect(verified.stderr).toMatch(/^vault: 4 entries verified; head 4:[0-9a-f]{64}\n$/);

    // The owner's log only: a grantee is told the source's log does not exist (exit 3).
    const refused = await audit([String(sourceId)], { VAULT_TOKEN: licensee });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/not found \(HTTP 404\)/);
  });

  it('names an entry edited in the database, and one deleted, and exits 1', async () => {
    const sourceId = await auditedSource();
    const saved = await audit([String(sourceId), '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    const entries = JSON.parse(saved.stdout) as AuditEntry[];
    const file = join(dir.path, `audit-${sourceId}.json`);
    await writeFile(file, saved.stdout);
    const head = `4:${entries[3]!.hash}`;

    await tamper(
      (sql) => sql`update tasks.audit_entries set data = data || '{"envelope_cid": "bafyother"}'
                   where source_id = ${sourceId} and seq = 3`,
    );
    const edited = await audit([String(sourceId), '--verify']);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(
      new RegExp(
        `^vault: the audit log of source ${sourceId} is broken at entry 3: edited-entry: `,
      ),
    );
    expect(edited.stdout).toMatch(/^3\s.*\sedited-entry$/m);

    // The copy saved before still verifies, here, without the platform or a token.
    const offline = await audit([String(sourceId), '--from', file, '--head', head], {});
    expect(offline.code, offline.stderr).toBe(0);

    await tamper(
      (sql) => sql`delete from tasks.audit_entries where source_id = ${sourceId} and seq = 2`,
    );
    const deleted = await audit([String(sourceId), '--verify', '--json']);
    expect(deleted.code).toBe(1);
    expect(JSON.parse(deleted.stdout).verification.firstBroken).toMatchObject({
      seq: 3,
      reason: 'missing-entry',
      message: 'entry 2 is missing before it',
    });
  });

  it('finds the last entries removed only against a head recorded before', async () => {
    const sourceId = await auditedSource();
    const before = await audit([String(sourceId), '--verify']);
    const head = /head (4:[0-9a-f]{64})/.exec(before.stderr)![1]!;
    await tamper(
      (sql) => sql`delete from tasks.audit_entries where source_id = ${sourceId} and seq = 4`,
    );
    // What is left still holds together...
    const alone = await audit([String(sourceId), '--verify']);
    expect(alone.code, alone.stderr).toBe(0);
    // ...but not the head seen before.
    const against = await audit([String(sourceId), '--head', head]);
    expect(against.code).toBe(1);
    expect(against.stderr).toMatch(/broken at entry 4: missing-head: the chain has no entry 4/);
  });

  it('refuses a signature by a key other than the one pinned for its agent', async () => {
    const sourceId = await auditedSource();
    const impostor = generateAgentIdentity('studio-audit');
    const pinned = await audit([
      String(sourceId),
      '--trust-key',
      `studio-audit=${encodeRawKey(impostor.signingPublicKey)}`,
    ]);
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(/broken at entry 2: untrusted-key: /);
  });
});

describe('errors', () => {
  it('a bad token: exit 3 with the server’s message', async () => {
    const result = await stack.vault(['agents'], { VAULT_TOKEN: 'not-a-jwt' }).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^vault: GET \/api\/v1\/agents\/: .+ \(HTTP 401\)$/m);
  });

  it('an unreachable gateway: exit 3', async () => {
    const result = await stack.vault(['agents', '--api', `http://127.0.0.1:${await freePort()}`], {
      VAULT_TOKEN: studio,
    }).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the gateway/);
  });

  it('usage errors: exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['upload', dir.path],
      ['download', 'abc', '--agent', 'licensee-agent'],
      ['status', 'upload', '0'],
    ]) {
      const result = await stack.vault(args, { VAULT_TOKEN: studio }).done;
      expect(result.code, args.join(' ')).toBe(2);
    }
    // Installed as the workspace's bin: `npx vault` from the repository root.
    const version = await new Promise<string>((resolve, reject) =>
      execFile('npx', ['vault', '--version'], { cwd: repoRoot }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    expect(version.trim()).toBe('0.1.0');

    const noToken = await stack.vault(['agents']).done;
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/no token/);
  });
});
