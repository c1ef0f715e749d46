import { makeMp3 } from '@media-vault/test-harness';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { mkdir } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { checkEvents, checkState, readAllEvents, untilOrphanChunksSwept } from './checks.js';
import { startSealedAgents, type SealedAgents } from './agents.js';
import {
  audioFlow,
  sealedFlow,
  taskFlow,
  type FlowBlocks,
  type FlowRecord,
  type Mp3,
  type SealedStep,
} from './flows.js';
import { NetworkNamespace } from './netns.js';
import { emptyStats, GatewayClient, signToken, type ClientStats } from './http-client.js';
import {
  ORPHAN_SWEEP,
  SERVICES,
  type Platform,
  type Replica,
  type ServiceName,
} from './platform.js';

/** What a fault's round knows besides the platform: the step struck and the run's agents. */
export interface StrikeContext {
  readonly step?: SealedStep;
  readonly agents?: SealedAgents;
  /** The task ids of the round's sealed flow, as far as it has them. */
  readonly sealedIds?: Readonly<Record<string, string>>;
}

/** A fault the run injects, and how it puts things back as an operator (or Kubernetes) would. */
export interface Fault {
  readonly name: string;
  readonly description: string;
  /**
   * When in a round to strike: a random time after the round starts, at an audio flow step, or
   * at a step of the sealed flow (taken in turn, one per round).
   */
  readonly at:
    | { readonly afterMs: readonly [number, number] }
    | { readonly step: 'chunks' | 'merge' }
    | { readonly sealedSteps: readonly SealedStep[] };
  /** Flows of each kind a round starts together; default two task flows and one audio flow. */
  readonly flows?: { readonly task: number; readonly audio: number; readonly sealed: number };
  /**
   * Probe only once `inject` has restored the platform (still timed from the strike): a fault
   * that takes a moment to bite, like stopping every NATS node, would otherwise let a probe
   * answer before it.
   */
  readonly probeOnceRestored?: boolean;
  /** Before the fault's first round (e.g. moving a replica into a network namespace). */
  prepare?(platform: Platform): Promise<void>;
  /** After its last round, before the checks: puts back what `prepare` changed. */
  finish?(platform: Platform): Promise<void>;
  /** Injects the fault and, once it is over, restores the platform (restarts what it stopped). */
  inject(platform: Platform, random: () => number, context: StrikeContext): Promise<string>;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)]!;

const restartDelayMs = 1_000;

function killReplica(service: ServiceName): Fault {
  const worker = service === 'media-worker' || service === 'ipfs-worker';
  return {
    name: `kill -9 ${service}`,
    description: `SIGKILL of one ${service} replica (chosen at random), started again after ${restartDelayMs} ms`,
    at: worker ? { step: 'merge' } : { afterMs: [0, 2_500] },
    async inject(platform, random) {
      const victim = pick(platform.replicas[service], random);
      await victim.kill9();
      await sleep(restartDelayMs);
      await victim.start();
      return victim.name;
    },
  };
}

function terminateReplica(service: ServiceName): Fault {
  const worker = service === 'media-worker' || service === 'ipfs-worker';
  return {
    name: `SIGTERM ${service}`,
    description: `graceful shutdown of one ${service} replica under load, started again once it exited`,
    at: worker ? { step: 'merge' } : { afterMs: [0, 2_500] },
    async inject(platform, random) {
      const victim: Replica = pick(platform.replicas[service], random);
      const { ms, code } = await victim.stop();
      await victim.start();
      return `${victim.name} exited ${code} after ${ms} ms`;
    },
  };
}

/**
 * One replica of `service` runs inside a network namespace of its own (moved there before the
 * first round); each round cuts its link to the NATS cluster for 5–15 s and restores it. Postgres
 * and Kubo stay reachable over its other link: a partition from NATS alone.
 */
function partitionReplica(service: 'tasks' | 'assets' | 'media-worker'): Fault {
  let netns: NetworkNamespace | undefined;
  const victimOf = (platform: Platform) => platform.replicas[service].at(-1)!;
  return {
    name: `${service} partitioned from NATS`,
    description: `one ${service} replica in a network namespace; its link to the three nats-servers cut for 5–15 s, then restored`,
    at: { afterMs: [0, 2_500] },
    async prepare(platform) {
      netns = await NetworkNamespace.create(process.pid);
      const portOf = (url: string) => Number(new URL(url).port);
      const natsPorts = platform.nats.nodes.map((n) => portOf(n.url));
      for (const port of natsPorts) await netns.relay('nats', { port });
      const pgPort = portOf(platform.databaseUrl);
      const kuboPort = portOf(platform.kubo().apiUrl);
      await netns.relay('other', { port: pgPort });
      await netns.relay('other', { port: kuboPort });
      const victim = victimOf(platform);
      await victim.stop();
      const other = netns.otherHost;
      victim.place({
        netns,
        env: {
          NATS_URL: natsPorts.map((p) => `nats://${netns!.natsHost}:${p}`).join(','),
          DATABASE_URL: platform.databaseUrl.replace('127.0.0.1', other),
          IPFS_API_URL: platform.kubo().apiUrl.replace('127.0.0.1', other),
        },
      });
      await victim.start();
    },
    async inject(platform, random) {
      const ms = Math.round(5_000 + random() * 10_000);
      await netns!.cut();
      await sleep(ms);
      await netns!.heal();
      return `${victimOf(platform).name} cut from NATS for ${ms} ms`;
    },
    async finish(platform) {
      const victim = victimOf(platform);
      await victim.stop();
      victim.place(undefined);
      await victim.start();
      await netns?.destroy();
      netns = undefined;
    },
  };
}

export const FAULTS: Record<string, Fault> = {
  ...Object.fromEntries(SERVICES.map((s) => [`kill-${s}`, killReplica(s)])),
  'kill-nats-node': {
    name: 'kill -9 one NATS node',
    description: 'SIGKILL of one of the three nats-servers, started again after 3 s',
    at: { afterMs: [0, 3_000] },
    async inject(platform, random) {
      const node = pick(platform.nats.nodes, random);
      await node.kill9();
      await sleep(3_000);
      await node.start();
      return node.name;
    },
  },
  'postgres-restart': {
    name: 'Postgres stopped and started',
    description: 'fast shutdown of Postgres mid-flow, started again after 2 s',
    at: { afterMs: [0, 3_000] },
    async inject(platform) {
      await platform.postgres.stop();
      await sleep(2_000);
      await platform.postgres.start();
      return 'postgres';
    },
  },
  'kubo-restart': {
    name: 'Kubo restarted mid-add',
    description: 'Kubo stopped and started again while the ipfs-worker adds a merged file',
    at: { step: 'merge' },
    async inject(platform) {
      await platform.restartKubo();
      return 'kubo';
    },
  },
  'kill-agent': {
    name: 'kill -9 an agent',
    description:
      "SIGKILL of the studio's agent mid-seal or mid-release, or of the licensee's mid-compose (in turn), started again after 1 s",
    at: { sealedSteps: ['seal', 'release', 'compose'] },
    flows: { task: 1, audio: 0, sealed: 1 },
    async inject(platform, random, { step, agents, sealedIds }) {
      const agent = step === 'compose' ? agents!.licensee : agents!.studio;
      // A random moment inside the step, which the status event just announced: the seal of the
      // run's master takes about a second, a compose a few hundred ms, a release tens of ms.
      await sleep(random() * { seal: 500, release: 20, compose: 100 }[step!]);
      await agent.replica.kill9();
      // Where the flow stood when the agent died, from the database: the report says whether the
      // kill landed inside the step.
      const at = await sealedStatuses(platform.databaseUrl, sealedIds?.source);
      await sleep(restartDelayMs);
      await agent.replica.start();
      return `${agent.id} killed mid-${step} (${at})`;
    },
  },
  'restart-nats-cluster': {
    name: 'whole NATS cluster restarted',
    description: 'all three nats-servers stopped together mid-flow, started again after 3 s',
    at: { afterMs: [0, 3_000] },
    flows: { task: 2, audio: 1, sealed: 1 },
    probeOnceRestored: true,
    async inject(platform) {
      await Promise.all(platform.nats.nodes.map((n) => n.stop()));
      await sleep(3_000);
      await Promise.all(platform.nats.nodes.map((n) => n.start()));
      return platform.nats.nodes.map((n) => n.name).join(' ');
    },
  },
  'partition-tasks': partitionReplica('tasks'),
  'partition-assets': partitionReplica('assets'),
  ...Object.fromEntries(SERVICES.map((s) => [`term-${s}`, terminateReplica(s)])),
};

/**
 * Strikes when the round's sealed flow reaches `step`, as its status events say: the upload at
 * 1 or 2 (hashing, encrypting), its private task at 3 (the release under way), its download at
 * 7 (composing). The flow is known by its master's file name, unique per flow.
 */
function watchSealedStep(
  nc: NatsConnection,
  step: SealedStep,
  ids: Readonly<Record<string, string>>,
  strike: () => void,
) {
  const wanted = {
    seal: { kind: 'upload', statuses: [1, 2] },
    release: { kind: 'private', statuses: [3] },
    compose: { kind: 'download', statuses: [7] },
  }[step];
  return nc.subscribe(`events.tasks.${wanted.kind}.*`, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const event = msg.json<{ status?: number; record?: { source_name?: string } }>();
        if (
          event.record?.source_name === ids.name &&
          wanted.statuses.includes(event.status ?? -1)
        ) {
          strike();
        }
      } catch {
        // not a status event
      }
    },
  });
}

/** The statuses of a source's upload, private and download tasks, e.g. `upload 8 private 3 download 5`. */
async function sealedStatuses(databaseUrl: string, sourceId: string | undefined): Promise<string> {
  if (!sourceId) return 'no source yet';
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const parts: string[] = [];
    for (const [table, kind] of [
      ['upload_tasks', 'upload'],
      ['private_tasks', 'private'],
      ['download_tasks', 'download'],
    ] as const) {
      const rows = await sql.unsafe<{ status: number }[]>(
        `SELECT status FROM tasks.${table} WHERE source_id = $1 ORDER BY id`,
        [Number(sourceId)],
      );
      parts.push(`${kind} ${rows.map((r) => r.status).join(',') || '-'}`);
    }
    return parts.join(' ');
  } catch (err) {
    return `statuses unreadable: ${(err as Error).message}`;
  } finally {
    await sql.end();
  }
}

/** The agents of a platform, started the first time a fault's rounds need a sealed flow. */
const agentsOf = new WeakMap<Platform, Promise<SealedAgents>>();

export interface FaultRow {
  readonly fault: string;
  readonly description: string;
  readonly rounds: number;
  readonly flowsStarted: number;
  readonly flowsCompleted: number;
  readonly lost: number;
  readonly doubled: number;
  readonly inconsistent: number;
  readonly orphans: number;
  readonly http5xx: number;
  readonly connectionErrors: number;
  readonly refused: number;
  readonly requests: number;
  readonly recoverMsMedian: number;
  readonly recoverMsMax: number;
  readonly notes: string[];
}

export interface ChaosOptions {
  readonly rounds: number;
  readonly faults: readonly string[];
  /** Flows of each kind started together in a round. */
  readonly taskFlows?: number;
  readonly audioFlows?: number;
  /** Sealed round trips a round starts (the agents are started for the first). */
  readonly sealedFlows?: number;
  readonly mp3Dir: string;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

/** A small deterministic generator, so a run's random points can be replayed with `--seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * Time from the fault until a fresh client call through each gateway answers 2xx: a task is
 * created and read back, with no retry of its own.
 */
async function timeToRecover(platform: Platform, from: number, token: string): Promise<number> {
  const deadline = Date.now() + 180_000;
  // A probe that failed is sent again with its key, as any client would: one whose reply was
  // lost after it committed answers its task then, which is closed like the others.
  const pending = new Map<string, { key: string; uuid: string }>();
  for (;;) {
    let ok = true;
    for (const url of platform.gatewayUrls) {
      const probe = pending.get(url) ?? { key: randomUUID(), uuid: `probe-${randomUUID()}` };
      pending.set(url, probe);
      try {
        const created = await fetch(`${url}/api/v1/tasks/upload/pbulic/`, {
          method: 'POST',
          headers: {
            Token: token,
            'content-type': 'application/json',
            'Idempotency-Key': probe.key,
          },
          body: JSON.stringify({ series_id: 1, uuid: probe.uuid, source_name: 'probe' }),
          signal: AbortSignal.timeout(5_000),
        });
        const id = ((await created.json()) as { data?: { id?: number } }).data?.id;
        if (!created.ok || !id) ok = false;
        else {
          // The probe's task is closed at once: a probe must not look like a stuck task.
          const closed = await fetch(`${url}/api/v1/tasks/upload/pbulic/${id}/`, {
            method: 'PATCH',
            headers: { Token: token, 'content-type': 'application/json' },
            body: JSON.stringify({ status: 9, reason: 'recovery probe' }),
            signal: AbortSignal.timeout(5_000),
          });
          if (!closed.ok) ok = false;
          else pending.delete(url);
        }
      } catch {
        ok = false;
      }
    }
    if (ok) return Date.now() - from;
    if (Date.now() > deadline) return Number.NaN;
    await sleep(100);
  }
}

/** Waits until the outbox tables are empty and JOBS holds nothing: the platform is quiet. */
export async function settle(
  nc: NatsConnection,
  databaseUrl: string,
  timeoutMs = 120_000,
): Promise<boolean> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const [row] = await sql.unsafe<{ n: number }[]>(
          'SELECT (SELECT count(*) FROM tasks.outbox)::int + (SELECT count(*) FROM assets.outbox)::int AS n',
        );
        const jobs = await (await jetstreamManager(nc)).streams.info('JOBS');
        if (row!.n === 0 && jobs.state.messages === 0) return true;
      } catch {
        // Postgres or NATS still coming back
      }
      if (Date.now() > deadline) return false;
      await sleep(500);
    }
  } finally {
    await sql.end();
  }
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : Number.NaN;
};

/**
 * Runs `rounds` rounds of each fault: every round starts flows, strikes at a random point of them,
 * restores, and waits for the flows; after each fault's rounds the platform is left to settle and
 * the whole EVENTS stream and the databases are checked. Findings are the increase since the
 * previous fault's check, so each row counts only what its own fault did.
 */
export async function runChaos(
  platform: Platform,
  admin: NatsConnection,
  opts: ChaosOptions,
): Promise<FaultRow[]> {
  const log = opts.log ?? (() => {});
  const random = seededRandom(opts.seed ?? Date.now());
  const tokens = new Map<string, Promise<string>>();
  const users = {
    token: (sub: string, roles: number[] = []) => {
      const key = `${sub}/${roles.join(',')}`;
      if (!tokens.has(key)) tokens.set(key, signToken(platform.jwtSecret, sub, roles));
      return tokens.get(key)!;
    },
  };
  const probeToken = await users.token('recovery-probe');
  const knownTasks = new Set<string>();
  const knownAssets = new Set<string>();
  let previous = { doubled: 0, lost: 0, inconsistent: 0, orphans: 0 };
  let previousChunks = { objects: 0, rows: 0 };
  const rows: FaultRow[] = [];
  let flowNumber = 0;
  const runTag = Date.now().toString(36);
  const mp3s: Mp3[] = [];
  await mkdir(opts.mp3Dir, { recursive: true });
  const nextMp3 = async () => mp3s.pop() ?? (await makeMp3(opts.mp3Dir, { seconds: 3 }));

  // Added once, before any fault (Kubo may be the one restarted): every flow reports them.
  const blocks = await addFlowBlocks(platform.kubo().apiUrl);
  for (const key of opts.faults) {
    const fault = FAULTS[key];
    if (!fault) throw new Error(`no fault called ${key}; known: ${Object.keys(FAULTS).join(', ')}`);
    const stats: ClientStats = emptyStats();
    const client = new GatewayClient(platform.gatewayUrls, stats);
    const recoveries: number[] = [];
    const flows: FlowRecord[] = [];
    const notes: string[] = [];
    const counts = fault.flows ?? {
      task: opts.taskFlows ?? 2,
      audio: opts.audioFlows ?? 1,
      sealed: opts.sealedFlows ?? 0,
    };
    let agents: SealedAgents | undefined;
    if (counts.sealed > 0) {
      if (!agentsOf.has(platform)) agentsOf.set(platform, startSealedAgents(platform));
      agents = await agentsOf.get(platform)!;
    }
    await fault.prepare?.(platform);
    for (let round = 1; round <= opts.rounds; round++) {
      const audio = await Promise.all(Array.from({ length: counts.audio }, () => nextMp3()));
      let strike: () => void = () => {};
      const struck = new Promise<void>((done) => (strike = done));
      const running: Promise<FlowRecord>[] = [];
      const step =
        'sealedSteps' in fault.at
          ? fault.at.sealedSteps[(round - 1) % fault.at.sealedSteps.length]
          : undefined;
      for (let i = 0; i < counts.task; i++) {
        running.push(taskFlow(client, users, `${runTag}-${++flowNumber}`, blocks));
      }
      const sealedIds: Record<string, string> = {};
      // Aimed from the status events as they are published, not from the flow's polling: a
      // release is over in well under a second.
      const watch = step ? watchSealedStep(admin, step, sealedIds, strike) : undefined;
      for (let i = 0; i < counts.sealed; i++) {
        const n = `${runTag}-${++flowNumber}`;
        running.push(
          agents!.nextMaster(n).then((master) => {
            // The first sealed flow of the round is the one a fault aims at.
            if (i === 0) sealedIds.name = master.name;
            return sealedFlow(client, agents!, n, master, undefined, i === 0 ? sealedIds : {}).then(
              (flow) => {
                for (const line of flow.asked) notes.push(`round ${round}: asked again: ${line}`);
                return flow;
              },
            );
          }),
        );
      }
      for (const mp3 of audio) {
        running.push(
          audioFlow(client, users, `${runTag}-${++flowNumber}`, mp3, (step) => {
            if ('step' in fault.at && fault.at.step === step) strike();
          }),
        );
      }
      // A flow that fails before the step it waits for must not hold the round forever.
      void Promise.all(running).then(() => strike());
      if ('afterMs' in fault.at) {
        const [low, high] = fault.at.afterMs;
        setTimeout(strike, low + random() * (high - low));
      }
      await struck;
      watch?.unsubscribe();
      const at = Date.now();
      // Probed while the fault runs: with two replicas the platform may never stop answering.
      const [target, recovered] = fault.probeOnceRestored
        ? [
            await fault.inject(platform, random, { step, agents, sealedIds }),
            await timeToRecover(platform, at, probeToken),
          ]
        : await Promise.all([
            fault.inject(platform, random, { step, agents, sealedIds }),
            timeToRecover(platform, at, probeToken),
          ]);
      recoveries.push(recovered);
      const done = await Promise.all(running);
      flows.push(...done);
      for (const f of done) {
        if (!f.completed) notes.push(`round ${round}: ${f.kind} flow failed: ${f.error}`);
        if (f.completed && (f.kind === 'task' || f.kind === 'sealed')) {
          for (const kind of ['upload', 'download', 'private'])
            knownTasks.add(`${kind}:${f.ids[kind]}`);
        }
        if (f.completed && f.kind === 'audio') knownAssets.add(f.ids.asset!);
      }
      log(
        `${fault.name} round ${round}/${opts.rounds}: ${target}; recovered in ${recovered} ms; ` +
          `${done.filter((f) => f.completed).length}/${done.length} flows completed`,
      );
    }
    await fault.finish?.(platform);
    const quiet = await settle(admin, platform.databaseUrl);
    if (!quiet) notes.push('the outbox or JOBS was not empty 120 s after the last round');
    const sweep = await untilOrphanChunksSwept(admin, platform.databaseUrl, ORPHAN_SWEEP);
    if (sweep.swept > 0) {
      notes.push(
        `${sweep.swept} chunk objects without their row deleted by the orphan sweep before the checks`,
      );
    }
    const events = await readAllEvents(admin);
    const found = checkEvents(events);
    const state = await checkState(admin, platform.databaseUrl, events, {
      tasks: knownTasks,
      assets: knownAssets,
    });
    const lost = found.chainBreaks + state.rowsWithoutTheirEvent;
    const inconsistent =
      state.flowRowsNotFinal +
      state.merging +
      state.chunkRowsWithoutObject +
      state.chunkObjectsWithoutRow +
      state.outboxPending +
      state.jobsPending;
    const totals = {
      doubled: found.doubled,
      lost,
      inconsistent,
      orphans: state.orphanRowsNotFinal,
    };
    notes.push(...found.samples, ...state.samples, ...stats.samples.slice(0, 5));
    // The counts are of the whole run: a row names only what appeared during its own fault.
    if (state.chunkObjectsWithoutRow > previousChunks.objects)
      notes.push(`${state.chunkObjectsWithoutRow} chunk objects without their row (run so far)`);
    if (state.chunkRowsWithoutObject > previousChunks.rows)
      notes.push(`${state.chunkRowsWithoutObject} chunk rows without their object (run so far)`);
    previousChunks = {
      objects: state.chunkObjectsWithoutRow,
      rows: state.chunkRowsWithoutObject,
    };
    rows.push({
      fault: fault.name,
      description: fault.description,
      rounds: opts.rounds,
      flowsStarted: flows.length,
      flowsCompleted: flows.filter((f) => f.completed).length,
      lost: totals.lost - previous.lost,
      doubled: totals.doubled - previous.doubled,
      inconsistent: totals.inconsistent - previous.inconsistent,
      orphans: totals.orphans - previous.orphans,
      http5xx: stats.http5xx,
      connectionErrors: stats.connectionErrors,
      refused: stats.refused,
      requests: stats.requests,
      recoverMsMedian: median(recoveries),
      recoverMsMax: Math.max(...recoveries),
      notes,
    });
    previous = totals;
    log(`${fault.name}: ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}

export function chaosTable(rows: readonly FaultRow[]): string {
  const lines = [
    '| fault | rounds | flows completed | lost | doubled | inconsistent | orphaned creates | HTTP 5xx | no reply | refused | requests | recovery median / max (ms) |',
    '| ----- | -----: | --------------: | ---: | ------: | -----------: | ---------------: | -------: | -------: | ------: | -------: | -------------------------: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.fault} | ${r.rounds} | ${r.flowsCompleted}/${r.flowsStarted} | ${r.lost} | ${r.doubled} | ${r.inconsistent} | ${r.orphans} | ${r.http5xx} | ${r.connectionErrors} | ${r.refused} | ${r.requests} | ${r.recoverMsMedian} / ${r.recoverMsMax} |`,
    );
  }
  return lines.join('\n');
}

/** Two small random blocks added to the platform's Kubo, as a studio's agent would have sealed. */
async function addFlowBlocks(kuboApiUrl: string): Promise<FlowBlocks> {
  const add = async (label: string) => {
    const form = new FormData();
    form.append('file', new Blob([randomBytes(4096)]), label);
    const res = await fetch(`${kuboApiUrl}/api/v0/add?cid-version=1&pin=true`, {
      method: 'POST',
      body: form,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Kubo add: ${res.status} ${text}`);
    return (JSON.parse(text) as { Hash: string }).Hash;
  };
  return { public: await add('public-block'), private: await add('private-block') };
}
