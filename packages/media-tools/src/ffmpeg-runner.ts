import ffmpeg, { type FfmpegCommand, type FfprobeData } from 'fluent-ffmpeg';

export interface FfmpegTools {
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** Longest one ffmpeg run may take before it is killed. */
  readonly timeoutSeconds: number;
}

/** ffmpeg or ffprobe failed; `stderr` keeps the end of what the tool said, for the logs. */
export class FfmpegError extends Error {
  override readonly name: string = 'FfmpegError';
  readonly stderr: string;

  constructor(message: string, stderr: string, options?: { cause?: unknown }) {
    super(message, options);
    this.stderr = stderr;
  }
}

/** ffprobe ran to the end and could not make sense of the input: the bytes, not the tool, are bad. */
export class FfprobeUnreadableError extends FfmpegError {
  override readonly name = 'FfprobeUnreadableError';
}

export interface RunOptions {
  /** Called with the share done (0–100) when ffmpeg can tell, otherwise with undefined. */
  readonly onProgress?: (percent: number | undefined) => void;
  readonly onStart?: (commandLine: string) => void;
}

/** Lines of ffmpeg output kept for an error; the end is where ffmpeg says what went wrong. */
const STDERR_LINES = 30;

/** ffmpeg reports more than 100 % near the end and nonsense when it misjudges the duration. */
export const clampPercent = (percent: number | undefined): number | undefined =>
  percent === undefined || !Number.isFinite(percent)
    ? undefined
    : Math.min(100, Math.max(0, Math.round(percent)));

/**
 * The one way the platform runs ffmpeg and ffprobe: commands built with the configured binaries and
 * time-out, events turned into a promise, progress clamped, and stderr attached to every failure.
 */
export class FfmpegRunner {
  constructor(private readonly tools: FfmpegTools) {}

  /** A command reading `input`; the caller adds options and hands it to `run`. */
  command(input: string): FfmpegCommand {
    return ffmpeg({ source: input, timeout: this.tools.timeoutSeconds, stdoutLines: STDERR_LINES })
      .setFfmpegPath(this.tools.ffmpegPath)
      .setFfprobePath(this.tools.ffprobePath);
  }

  /** Runs `command`, writing `output`; resolves once ffmpeg exits cleanly. */
  run(command: FfmpegCommand, output: string, opts: RunOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      command
        .on('start', (commandLine: string) => opts.onStart?.(commandLine))
        .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
          reject(new FfmpegError(err.message, stderr ?? '', { cause: err }));
        })
        .on('end', () => resolve());
      // Listening for progress makes fluent-ffmpeg probe the input for its duration: only when asked.
      if (opts.onProgress) {
        const onProgress = opts.onProgress;
        command.on('progress', (p: { percent?: number }) => onProgress(clampPercent(p.percent)));
      }
      command.save(output);
    });
  }

  /** ffprobe's streams and format of `file`. */
  probe(file: string): Promise<FfprobeData> {
    return new Promise((resolve, reject) => {
      this.command(file).ffprobe(['-v', 'error'], (err: unknown, data: FfprobeData) => {
        if (!err) return resolve(data);
        const message = err instanceof Error ? err.message : String(err);
        // fluent-ffmpeg appends ffprobe's stderr to the exit message; a spawn failure has neither.
        const exited = /^ffprobe exited with code \d+\n?([\s\S]*)$/.exec(message);
        if (exited) {
          const stderr = (exited[1] ?? '').trim();
          reject(
            new FfprobeUnreadableError(`ffprobe could not read ${file}`, stderr, { cause: err }),
          );
        } else {
          reject(new FfmpegError(`ffprobe did not run: ${message}`, '', { cause: err }));
        }
      });
    });
  }
}
