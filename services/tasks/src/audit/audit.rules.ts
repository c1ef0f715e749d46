import { VaultError, type AppendAuditRequest, type Principal } from '@media-vault/contracts';

/** A kind's data is a few hundred bytes; this leaves room without letting one entry be a file. */
export const MAX_AUDIT_DATA_BYTES = 16 * 1024;
/** Nesting deeper than this is not what any kind writes. */
export const MAX_AUDIT_DATA_DEPTH = 8;

/**
 * JSON can carry a lone surrogate (`\ud800`) and U+0000, but neither is text Postgres' jsonb
 * stores: the insert would fail, so the entry is refused first.
 */
const unstorable = (text: string): boolean => !text.isWellFormed() || text.includes('\u0000');

const pathOf = (path: string, name: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;

/** Why `data` cannot be an entry's data (naming where), or undefined when it can. */
export function auditDataProblem(data: unknown): string | undefined {
  const visit = (value: unknown, path: string, depth: number): string | undefined => {
    if (depth > MAX_AUDIT_DATA_DEPTH) return `${path}: nested deeper than ${MAX_AUDIT_DATA_DEPTH}`;
    if (typeof value === 'string') {
      return unstorable(value) ? `${path}: a NUL or a lone surrogate is not text` : undefined;
    }
    if (typeof value === 'number') {
      return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
    }
    if (value === null || typeof value === 'boolean') return undefined;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const problem = visit(item, `${path}[${i}]`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    if (typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) {
        if (unstorable(name)) return `${path}: a member name holds a NUL or a lone surrogate`;
        const problem = visit(item, pathOf(path, name), depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    return `${path}: a ${typeof value} is not JSON`;
  };
  const problem = visit(data, 'data', 0);
  if (problem) return problem;
  const size = Buffer.byteLength(JSON.stringify(data), 'utf8');
  return size > MAX_AUDIT_DATA_BYTES
    ? `data: ${size} bytes as JSON, more than ${MAX_AUDIT_DATA_BYTES}`
    : undefined;
}

/**
 * What an agent's entry must say of itself before anything is read: it is appended by its actor,
 * names the agent that signed it, and carries a real time. Each refusal names its field.
 */
export function assertAppendable(principal: Principal, request: AppendAuditRequest): void {
  const refuse = (message: string) => {
    throw new VaultError('badRequest', message);
  };
  const { actor, signature } = request;
  if (actor.user_id !== principal.id) {
    refuse(`actor.user_id: an entry is appended by its actor, and you are ${principal.id}`);
  }
  if (actor.agent === undefined) refuse("actor.agent: an agent's entry names the agent");
  if (signature.agent !== actor.agent) {
    refuse(`signature.agent: ${signature.agent} is not the actor's agent ${actor.agent}`);
  }
  const time = new Date(request.at);
  if (Number.isNaN(time.getTime()) || time.toISOString() !== request.at) {
    refuse(`at: ${request.at} is not a real time`);
  }
  const problem = auditDataProblem(request.data);
  if (problem) refuse(problem);
}
