export {
  readSubject,
  subjectCount as totalCount,
  subjectCounts,
  waitFor,
} from '@media-vault/test-harness';
import { CommandSubjects, type Principal } from '@media-vault/contracts';
import { sendCommand } from '@media-vault/service-kit';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface TokenOptions {
  readonly sub?: string | undefined;
  readonly name?: string;
  readonly roles?: number[];
  /** Seconds since the epoch, or a jose duration such as '5m'. */
  readonly exp?: number | string;
  readonly secret: string;
}

/** Signs a token the way scripts/token.ts does (HS256, claims sub, name, roles). */
export async function signToken(opts: TokenOptions): Promise<string> {
  let jwt = new SignJWT({ name: opts.name ?? `user ${opts.sub}`, roles: opts.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m');
  if (opts.sub !== undefined) jwt = jwt.setSubject(opts.sub);
  return jwt.sign(new TextEncoder().encode(opts.secret));
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the tasks service as its own process, exactly as `npm start` would but on the test
 * servers, and resolves once it answers `svc.tasks.agent.list` on the bus.
 */
export async function startTasksProcess(opts: {
  natsUrl: string;
  databaseUrl: string;
  nc: NatsConnection;
  probeAs: Principal;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/tasks/src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      NATS_URL: opts.natsUrl,
      DATABASE_URL: opts.databaseUrl,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const collect = (buf: Buffer) => {
    lines.push(...buf.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => lines.join('\n');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`tasks service exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      await sendCommand(
        opts.nc,
        CommandSubjects.agentList,
        {},
        {
          principal: opts.probeAs,
          timeoutMs: 1_000,
        },
      );
      break;
    } catch {
      // Not serving yet (no responders) or still starting: try again until the deadline.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tasks service did not answer svc.tasks.agent.list:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output, stop };
}
