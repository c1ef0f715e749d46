import {
  AgentId,
  CreateGrantBody,
  MasterSourceId,
  MasterTaskId,
  UserId,
  type MasterTaskKind,
} from '@media-vault/contracts';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EnvDefaults } from './config.js';
import { ExitCode, usageError } from './exit-codes.js';
import { VideoExtensions } from './video-files.js';

/** Options every command takes. */
export interface GlobalOptions {
  readonly api: string;
  readonly token: string;
  readonly nats: string;
  readonly natsCreds: string | undefined;
  readonly json: boolean;
  /** Whole-command deadline; undefined: wait as long as it takes. */
  readonly timeoutMs: number | undefined;
  /** VAULT_PASSPHRASE, for the agent key commands. */
  readonly passphrase: string | undefined;
  /** VAULT_OWNER_KEY: the owner key file `grant --agent` and `revoke` sign with. */
  readonly ownerKeyFile: string | undefined;
}

export const StatusKinds = ['upload', 'download', 'private', 'source'] as const;
export type StatusKind = (typeof StatusKinds)[number];

/** One parsed command line, tagged by command: the runner's handler map must cover every tag. */
export type Invocation =
  | {
      readonly command: 'upload';
      readonly folder: string;
      readonly agent: string;
      readonly root: string;
      readonly seriesId: number;
      readonly wait: boolean;
    }
  | {
      readonly command: 'grant';
      readonly sourceId: number;
      readonly userId: string;
      readonly notBefore: string | undefined;
      readonly notAfter: string | undefined;
      /** The recipient agent: the grant is then signed with the owner key and names its keys. */
      readonly agent: string | undefined;
      readonly ownerKey: string | undefined;
    }
  | { readonly command: 'grants'; readonly sourceId: number }
  | {
      readonly command: 'revoke';
      readonly sourceId: number;
      readonly userId: string;
      readonly ownerKey: string | undefined;
    }
  | { readonly command: 'private-list' }
  | { readonly command: 'private-watch'; readonly ids: readonly number[]; readonly follow: boolean }
  | { readonly command: 'private-release'; readonly ids: readonly number[] }
  | {
      readonly command: 'download';
      readonly sourceId: number;
      readonly agent: string;
      readonly wait: boolean;
    }
  | { readonly command: 'status'; readonly kind: StatusKind; readonly id: number }
  | {
      readonly command: 'audit';
      readonly sourceId: number;
      readonly verify: boolean;
      /** Agent id → its Ed25519 public key, known apart from the log (--trust-key). */
      readonly trustedKeys: Readonly<Record<string, string>>;
      /** A head recorded earlier that the log must still hold (--head). */
      readonly head: { readonly seq: number; readonly hash: string } | undefined;
      /** A log saved earlier with --json, checked without asking the platform (--from). */
      readonly from: string | undefined;
    }
  | { readonly command: 'agents' }
  | {
      readonly command: 'agent-backup';
      readonly agentDir: string;
      readonly out: string | undefined;
      readonly passphraseFile: string | undefined;
    }
  | {
      readonly command: 'agent-restore';
      readonly file: string;
      readonly agentDir: string;
      readonly force: boolean;
      readonly passphraseFile: string | undefined;
    };

/** Commands that work on this machine's files alone: no token, no gateway. */
const LocalCommands: readonly CommandName[] = ['agent-backup', 'agent-restore'];

export type CommandName = Invocation['command'];

export type ParseResult =
  | { readonly kind: 'run'; readonly global: GlobalOptions; readonly invocation: Invocation }
  /** Help, version, or a usage error commander already explained: print and exit. */
  | {
      readonly kind: 'exit';
      readonly code: ExitCode;
      readonly stdout: string;
      readonly stderr: string;
    };

// ---- value parsers: the contracts' own limits, so a bad value fails here with exit 2 ----

const integerIn =
  (what: string, min: number, max: number) =>
  (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}.`);
    }
    return value;
  };

const matching =
  (what: string, schema: { pattern?: string; minLength?: number; maxLength?: number }) =>
  (text: string): string => {
    const pattern = new RegExp(schema.pattern ?? '');
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Infinity;
    if (!pattern.test(text) || text.length < min || text.length > max) {
      throw new InvalidArgumentError(`${what} must match ${schema.pattern} (${min}–${max} chars).`);
    }
    return text;
  };

const sourceIdArg = integerIn(
  'a source id',
  MasterSourceId.minimum ?? 1,
  MasterSourceId.maximum ?? 2 ** 31 - 1,
);
const taskIdArg = integerIn(
  'a task id',
  MasterTaskId.minimum ?? 1,
  MasterTaskId.maximum ?? 2 ** 31 - 1,
);
const userIdArg = matching('a user id', UserId);
const agentIdArg = matching('an agent id', AgentId);
const grantTimeArg = (text: string): string => {
  const schema = CreateGrantBody.properties.not_before;
  if (!new RegExp(schema.pattern ?? '').test(text) || Number.isNaN(Date.parse(text))) {
    throw new InvalidArgumentError('a time must be ISO 8601, e.g. 2030-01-01T00:00:00Z.');
  }
  return text;
};
/** `--trust-key <agent>=<key>`, repeated: the raw Ed25519 key in base64 or base64url. */
const trustKeyArg = (text: string, previous: Record<string, string> = {}) => {
  const match = /^([A-Za-z0-9_-]{3,64})=([A-Za-z0-9+/_-]{43}=?)$/.exec(text);
  if (!match) {
    throw new InvalidArgumentError(
      'a trusted key is <agent id>=<Ed25519 public key, 32 bytes in base64 or base64url>.',
    );
  }
  return { ...previous, [match[1]!]: match[2]! };
};
const headArg = (text: string): { seq: number; hash: string } => {
  const match = /^(\d{1,10}):([0-9a-f]{64})$/.exec(text);
  if (!match || Number(match[1]) < 1) {
    throw new InvalidArgumentError('a head is <seq>:<hash>, e.g. 4:<64 hex digits>.');
  }
  return { seq: Number(match[1]), hash: match[2]! };
};
const secondsArg = (text: string): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('seconds must be a number above 0.');
  }
  return value;
};

const exitCodesHelp = `
Exit codes:
  0    every task waited for is done (8), or the command succeeded
  1    a task ended in 9 (error); \`status\` also when the task is at 9;
       \`audit --verify\` when the log does not verify
  2    usage error (unknown command or option, bad value, no token)
  3    the gateway or NATS refused or was unreachable (the server's message is printed),
       or an unexpected internal error
  4    --timeout passed before the tasks finished
  130  interrupted (Ctrl-C); the tasks go on, on the agents

Environment: VAULT_API, VAULT_TOKEN, NATS_URL, NATS_CREDS, VAULT_OWNER_KEY (the flags win).`;

/**
 * Parses a command line without running anything, so the parsing rules can be tested alone.
 * Help and version come back as text to print; every error is a CliError of kind `usage`.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: EnvDefaults,
  version: string,
): ParseResult {
  let invocation: Invocation | undefined;
  let leaf: Command | undefined;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const set = (cmd: Command, value: Invocation) => {
    invocation = value;
    leaf = cmd;
  };

  const program = new Command('vault')
    .description('Film master client: seal, authorise and download masters through their agents.')
    .version(version)
    // Every setting below is copied to the subcommands created after it.
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.push(s), writeErr: (s) => stderr.push(s) })
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .allowExcessArguments(false)
    .option('--api <url>', 'gateway URL (env VAULT_API)', env.api)
    .option('--token <jwt>', 'your token (env VAULT_TOKEN; `npm run token -- --user <id>`)')
    .option('--nats <url>', 'NATS for status events (env NATS_URL)', env.nats)
    .option('--nats-creds <file>', 'NATS credentials file (env NATS_CREDS)')
    .option('--json', 'machine-readable output on stdout')
    .addOption(
      new Option('--timeout <seconds>', 'give up waiting after this long (exit 4)').argParser(
        secondsArg,
      ),
    )
    .addHelpText('after', exitCodesHelp);

  program
    .command('upload')
    .description('seal every video file under <folder> through your agent and follow the tasks')
    .addHelpText(
      'after',
      `\nVideo files: ${VideoExtensions.join(' ')} (any case); hidden files are skipped.\nEach file's path relative to --root is what the agent opens under its ingest root.`,
    )
    .argument('<folder>', 'folder to walk, recursively')
    .requiredOption('--agent <id>', 'the agent that seals the files (one of yours)', agentIdArg)
    .requiredOption('--root <dir>', "the agent's ingest root; every file must be under it")
    .addOption(
      new Option('--series <id>', 'series (programme) id')
        .argParser(integerIn('a series id', 0, 2 ** 31 - 1))
        .default(0),
    )
    .option('--no-wait', 'create the tasks and exit')
    .action(function (this: Command, folder: string) {
      const o = this.opts<{ agent: string; root: string; series: number; wait: boolean }>();
      set(this, {
        command: 'upload',
        folder,
        agent: o.agent,
        root: o.root,
        seriesId: o.series,
        wait: o.wait,
      });
    });

  program
    .command('grant')
    .description('authorise a user to download a source (owner or root)')
    .addHelpText(
      'after',
      "\nWith --agent, the grant is a statement signed with your owner key naming that agent's keys\n(their fingerprints are shown): only such a grant lets your sealing agent release the key.",
    )
    .argument('<source_id>', 'source id', sourceIdArg)
    .argument('<user_id>', 'user to authorise', userIdArg)
    .option('--agent <id>', "the user's agent that will receive the key", agentIdArg)
    .option('--owner-key <file>', 'your owner key file (env VAULT_OWNER_KEY)')
    .option('--not-before <iso>', 'valid from (ISO 8601; no zone: UTC)', grantTimeArg)
    .option('--not-after <iso>', 'valid until (ISO 8601; no zone: UTC)', grantTimeArg)
    .action(function (this: Command, sourceId: number, userId: string) {
      const o = this.opts<{
        notBefore?: string;
        notAfter?: string;
        agent?: string;
        ownerKey?: string;
      }>();
      set(this, {
        command: 'grant',
        sourceId,
        userId,
        notBefore: o.notBefore,
        notAfter: o.notAfter,
        agent: o.agent,
        ownerKey: o.ownerKey,
      });
    });

  program
    .command('grants')
    .description("list a source's grants (owner or root)")
    .argument('<source_id>', 'source id', sourceIdArg)
    .action(function (this: Command, sourceId: number) {
      set(this, { command: 'grants', sourceId });
    });

  program
    .command('revoke')
    .description("revoke a user's grant: no key is released for it afterwards")
    .argument('<source_id>', 'source id', sourceIdArg)
    .argument('<user_id>', 'user whose grant ends', userIdArg)
    .option('--owner-key <file>', 'sign the revocation (env VAULT_OWNER_KEY)')
    .action(function (this: Command, sourceId: number, userId: string) {
      const o = this.opts<{ ownerKey?: string }>();
      set(this, { command: 'revoke', sourceId, userId, ownerKey: o.ownerKey });
    });

  const privateCommand = program
    .command('private')
    .description('private blocks you owe to downloaders (your agents release them)');
  privateCommand
    .command('list')
    .description('the private upload tasks you owe, grouped by series')
    .action(function (this: Command) {
      set(this, { command: 'private-list' });
    });
  privateCommand
    .command('watch')
    .description('follow private block releases (default: every unfinished one)')
    .argument('[ids...]', 'private task ids', (text: string, prev: number[] = []) => [
      ...prev,
      taskIdArg(text),
    ])
    .option('--follow', 'keep watching for new releases until Ctrl-C')
    .action(function (this: Command, ids: number[] | undefined) {
      const o = this.opts<{ follow?: boolean }>();
      set(this, { command: 'private-watch', ids: ids ?? [], follow: o.follow === true });
    });
  privateCommand
    .command('release')
    .description('release private blocks again whose release failed (9), and follow them')
    .argument('<ids...>', 'private task ids', (text: string, prev: number[] = []) => [
      ...prev,
      taskIdArg(text),
    ])
    .action(function (this: Command, ids: number[]) {
      set(this, { command: 'private-release', ids });
    });

  program
    .command('download')
    .description('open the download task of a source for your agent and follow it to the end')
    .argument('<source_id>', 'source id', sourceIdArg)
    .requiredOption('--agent <id>', 'your agent that fetches and composes the master', agentIdArg)
    .option('--no-wait', 'open the task and exit')
    .action(function (this: Command, sourceId: number) {
      const o = this.opts<{ agent: string; wait: boolean }>();
      set(this, { command: 'download', sourceId, agent: o.agent, wait: o.wait });
    });

  program
    .command('status')
    .description('show a task once: upload | download | private (task id) or source (source id)')
    .addArgument(
      program.createArgument('<kind>', 'upload, download, private or source').choices(StatusKinds),
    )
    .argument('<id>', 'task id (source id for `source`)', taskIdArg)
    .action(function (this: Command, kind: StatusKind, id: number) {
      set(this, { command: 'status', kind, id });
    });

  program
    .command('audit')
    .description(
      "a source's audit log: grants, releases, fetches, composes, failures (owner or root)",
    )
    .addHelpText(
      'after',
      '\nWith --verify the hash chain and every agent signature are checked here, offline; exit 1\nnames the first broken entry. Save a log with --json to check it again later with --from.',
    )
    .argument('<source_id>', 'source id', sourceIdArg)
    .option('--verify', 'check the chain and every signature; exit 1 if it is broken')
    .option(
      '--trust-key <agent=key>',
      "an agent's Ed25519 public key known from elsewhere (repeatable); other keys are refused",
      trustKeyArg,
    )
    .option('--head <seq:hash>', 'a head seen before, which the log must still hold', headArg)
    .option('--from <file>', 'read the log from a file `vault audit --json` wrote (no token)')
    .action(function (this: Command, sourceId: number) {
      const o = this.opts<{
        verify?: boolean;
        trustKey?: Record<string, string>;
        head?: { seq: number; hash: string };
        from?: string;
      }>();
      const checks = o.trustKey !== undefined || o.head !== undefined || o.from !== undefined;
      set(this, {
        command: 'audit',
        sourceId,
        // Pinned keys, a head or a saved log are only worth giving to have them checked.
        verify: o.verify === true || checks,
        trustedKeys: o.trustKey ?? {},
        head: o.head,
        from: o.from,
      });
    });

  program
    .command('agents')
    .description('list your agents')
    .action(function (this: Command) {
      set(this, { command: 'agents' });
    });

  const agentCommand = program
    .command('agent')
    .description("an agent's keys: back them up and restore them, sealed with a passphrase");
  agentCommand
    .command('backup')
    .description(
      "seal the agent's keys (<agent-dir>/identity.json) with a passphrase into a backup file",
    )
    .argument('<agent-dir>', "the agent's key directory (AGENT_DIR, e.g. .data/agents/<id>)")
    .option('--out <file>', 'where the backup goes (default: <agent id>.agent-backup.json)')
    .option('--passphrase-file <file>', 'read the passphrase from a file (env VAULT_PASSPHRASE)')
    .action(function (this: Command, agentDir: string) {
      const o = this.opts<{ out?: string; passphraseFile?: string }>();
      set(this, {
        command: 'agent-backup',
        agentDir,
        out: o.out,
        passphraseFile: o.passphraseFile,
      });
    });
  agentCommand
    .command('restore')
    .description("put an agent's keys back from a backup file, before the agent starts")
    .argument('<file>', 'a file `vault agent backup` wrote')
    .argument('<agent-dir>', "the agent's key directory to restore into")
    .option('--force', 'replace other keys found there (the masters sealed to them are lost)')
    .option('--passphrase-file <file>', 'read the passphrase from a file (env VAULT_PASSPHRASE)')
    .action(function (this: Command, file: string, agentDir: string) {
      const o = this.opts<{ force?: boolean; passphraseFile?: string }>();
      set(this, {
        command: 'agent-restore',
        file,
        agentDir,
        force: o.force === true,
        passphraseFile: o.passphraseFile,
      });
    });

  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version exit 0; every other commander error is a usage error, whatever its code.
    const code = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return { kind: 'exit', code, stdout: stdout.join(''), stderr: stderr.join('') };
  }
  if (!invocation || !leaf) {
    // `vault` or `vault private` alone: show what there is to run.
    const target =
      argv[0] === 'private' ? privateCommand : argv[0] === 'agent' ? agentCommand : program;
    return { kind: 'exit', code: ExitCode.usage, stdout: '', stderr: target.helpInformation() };
  }

  const g = leaf.optsWithGlobals<{
    api: string;
    token?: string;
    nats: string;
    natsCreds?: string;
    json?: boolean;
    timeout?: number;
  }>();
  const token = g.token ?? env.token ?? '';
  const local =
    LocalCommands.includes(invocation.command) ||
    (invocation.command === 'audit' && invocation.from !== undefined);
  if (!token && !local) {
    throw usageError('no token: pass --token or set VAULT_TOKEN (npm run -s token -- --user <id>)');
  }
  if (!/^https?:\/\//.test(g.api)) throw usageError(`--api must be an http(s) URL, got "${g.api}"`);
  return {
    kind: 'run',
    global: {
      api: g.api,
      token,
      nats: g.nats,
      natsCreds: g.natsCreds ?? env.natsCreds,
      json: g.json === true,
      timeoutMs: g.timeout === undefined ? undefined : Math.round(g.timeout * 1000),
      passphrase: env.passphrase,
      ownerKeyFile: env.ownerKeyFile,
    },
    invocation,
  };
}

/** The task kinds `status` reads with their event subjects (`source` has none). */
export const isTaskKind = (kind: StatusKind): kind is MasterTaskKind => kind !== 'source';
