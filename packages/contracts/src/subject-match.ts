/**
 * Whether a NATS subject pattern (`*` one token, `>` the rest) covers a subject, itself possibly
 * holding wildcards: a `*` there is covered only by `*` or `>`, a `>` only by `>`.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < s.length;
    if (i >= s.length) return false;
    if (s[i] === '>') return false;
    if (p[i] === '*') continue;
    if (p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
