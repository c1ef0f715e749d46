/** What an agent reports of a block it seals or releases (seed 000's PATCH fields). */
export interface BlockReport {
  readonly status: number;
  readonly percent?: number;
  readonly name?: string;
  readonly file?: string;
  readonly hash?: string;
  readonly size?: number;
  readonly ip?: string;
  readonly reason?: string;
}

export interface DownloadReport {
  readonly status: number;
  readonly percent?: number;
  readonly reason?: string;
}

/** The task API keeps at most 1000 characters of a reason; a longer one is cut, not refused. */
export const MAX_REASON_LENGTH = 1000;

export const briefly = <R extends { reason?: string }>(report: R): R =>
  report.reason !== undefined && report.reason.length > MAX_REASON_LENGTH
    ? { ...report, reason: `${report.reason.slice(0, MAX_REASON_LENGTH - 3)}...` }
    : report;
