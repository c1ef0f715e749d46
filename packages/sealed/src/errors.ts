/**
 * Every way sealed data can be refused, as one table: the reason code callers branch on (and
 * report as a task's error reason) and what it means. Argument mistakes by the caller (a key of
 * the wrong length, a segment size out of range) are not here: they throw TypeError/RangeError,
 * because they are bugs rather than bad input.
 */
export const SealedFormatReasons = {
  malformed: 'the bytes do not follow the layout (bad magic, field or length)',
  'unsupported-version': 'the layout version is not one this code reads',
  tampered: 'a segment failed authentication: altered, reordered, substituted or of another source',
  truncated: 'the data ends before the layout says it should',
  'trailing-data': 'there are bytes after the end the layout declares',
  'digest-mismatch': 'the opened plaintext does not have the sha256 recorded at seal time',
  'wrong-source': 'the envelope or private block belongs to another source',
  'wrong-recipient': 'the envelope is addressed to another agent or key',
  'outside-window': 'the envelope is opened before not_before or after not_after',
  'bad-signature': 'the envelope is not signed by the expected releasing agent',
  'decryption-failed': 'the envelope payload did not decrypt with the opener key',
} as const;

export type SealedFormatReason = keyof typeof SealedFormatReasons;

/** Sealed data that must not be trusted; `reason` says why in a stable, machine-readable way. */
export class SealedFormatError extends Error {
  override readonly name = 'SealedFormatError';

  constructor(
    readonly reason: SealedFormatReason,
    message: string = SealedFormatReasons[reason],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isSealedFormatError = (
  error: unknown,
  reason?: SealedFormatReason,
): error is SealedFormatError =>
  error instanceof SealedFormatError && (reason === undefined || error.reason === reason);
