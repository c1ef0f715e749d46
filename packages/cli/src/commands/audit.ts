import type { AuditEntry } from '@media-vault/contracts';
import { verifyAuditChain, type AuditChainReport } from '@media-vault/sealed';
import { readFile } from 'node:fs/promises';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderTable } from '../table.js';
import type { CommandHandler } from './context.js';

const short = (hash: string) => hash.slice(0, 12);

/** A log saved with `vault audit <source> --json`: its entries, whichever form was saved. */
async function readSavedLog(file: string): Promise<unknown[]> {
  let saved: unknown;
  try {
    saved = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError('usage', `--from ${file}: ${(err as Error).message}`, { cause: err });
  }
  const entries = Array.isArray(saved) ? saved : (saved as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) {
    throw new CliError('usage', `--from ${file}: not a log that \`vault audit --json\` wrote`);
  }
  return entries;
}

function describeBreak(sourceId: number, report: AuditChainReport): string {
  const broken = report.firstBroken!;
  const where =
    broken.seq === undefined ? `entry #${(broken.index ?? 0) + 1}` : `entry ${broken.seq}`;
  return `the audit log of source ${sourceId} is broken at ${where}: ${broken.reason}: ${broken.message}`;
}

/**
 * `vault audit <source_id>`: the source's history, one line per entry; with `--verify` the chain
 * and every agent's signature are checked here with packages/sealed, trusting nothing the
 * platform says about them, and the first broken entry is named (exit 1).
 */
export const audit: CommandHandler<'audit'> = async (ctx, inv) => {
  const entries = inv.from
    ? await readSavedLog(inv.from)
    : ((await ctx.api.listAudit(inv.sourceId)) as unknown[]);
  const report = inv.verify
    ? verifyAuditChain(entries, {
        trustedKeys: inv.trustedKeys,
        ...(inv.head ? { head: inv.head } : {}),
      })
    : undefined;

  if (ctx.global.json) {
    ctx.printJson(report ? { entries, verification: report } : entries);
  } else if (entries.length === 0) {
    ctx.print(`source ${inv.sourceId} has no audit entries`);
  } else {
    const checks = new Map(report?.entries.map((c) => [c.index, c]));
    const rows = (entries as AuditEntry[]).map((e, index) => {
      const row = [
        e.seq ?? '?',
        e.at ?? '?',
        e.kind ?? '?',
        e.actor?.user_id ?? '?',
        e.actor?.agent ?? '-',
        typeof e.hash === 'string' ? short(e.hash) : '?',
      ];
      if (!report) return row;
      const check = checks.get(index);
      return [...row, check?.ok ? 'ok' : (check?.problems[0]?.reason ?? '?')];
    });
    const headers = ['seq', 'time (UTC)', 'kind', 'actor', 'agent', 'hash'];
    ctx.print(renderTable(report ? [...headers, 'check'] : headers, rows));
  }

  if (!report) return ExitCode.ok;
  if (!report.ok) {
    ctx.note(describeBreak(inv.sourceId, report));
    return ExitCode.auditBroken;
  }
  const pinned = Object.keys(inv.trustedKeys).length;
  ctx.note(
    report.head
      ? `${entries.length} entries verified; head ${report.head.seq}:${report.head.hash}` +
          (pinned === 0
            ? ' (signatures checked against the keys the entries carry; pin keys with --trust-key)'
            : '')
      : 'no entries to verify',
  );
  return ExitCode.ok;
};
