import { spawn, type ChildProcess } from 'node:child_process';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Last lines of output, attached to start-up errors so a failed server says why. */
  readonly output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run as this user and group (when started as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** Resolves once the process printed a line matching this pattern. */
  readonly readyWhen: RegExp;
  readonly timeoutMs?: number;
  readonly label: string;
}

export async function startProcess(opts: StartOptions): Promise<StartedProcess> {
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const output = () => lines.slice(-40).join('\n');
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    exited = true;
  });

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${opts.label} did not become ready in ${opts.timeoutMs ?? 30_000} ms:\n${output()}`,
        ),
      );
    }, opts.timeoutMs ?? 30_000);
    const onData = (buf: Buffer) => {
      for (const line of buf.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        if (opts.readyWhen.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} could not start: ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.label} exited with code ${code} before it was ready:\n${output()}`));
    });
  });

  return {
    child,
    output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(killer);
    },
  };
}
