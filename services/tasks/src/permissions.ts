import {
  CommandSubjects as S,
  hasRole,
  isRoot,
  VaultError,
  type CommandsOf,
  type MasterTaskKind,
  type Principal,
  type Role,
} from '@media-vault/contracts';
import type { CommandContext, CommandHandler } from '@media-vault/service-kit';
import type { GrantRow } from './db/schema.js';
import { grantRefusal } from './master/grant.rules.js';

/** Every command the tasks service answers. */
export type TasksCommand = CommandsOf<'tasks'>;

/**
 * How a command's object is guarded once it is read. Each rule is checked by `authorize` where the
 * use case reads the row, inside the transaction that then acts on it, so the check and the
 * change see the same data.
 */
export const ObjectRules = {
  /** Creates something owned by the caller; there is no one else's object to name. */
  createsOwn: 'creates an object owned by the caller',
  /** The query is filtered by the caller's id, so another user's rows cannot even be named. */
  callersRows: "reads or writes only the caller's own rows",
  taskReporter:
    "the task's owner; root is told 403 (reports come from the client doing the work); anyone else 404",
  taskReader: "the task's owner or root; anyone else 404",
  sourceReader: "the source's owner, root, or a holder of a grant valid now; anyone else 404",
  sourceDownloader:
    "the source's owner, or a holder of a grant valid now; a grant out of its window or revoked, or root without a grant, 403 saying why; anyone else 404",
  sourceManager: "the source's owner or root; a holder of a valid grant 403; anyone else 404",
  /** Public keys are for anyone to name and check; nothing private is in the record. */
  publicRecord: 'any signed-in user; an unknown id 404',
  auditAppender:
    "the source's owner, or a user who holds or held a grant on it (a download may outlive its grant); root without one 403; anyone else 404",
  sourceAuditor: "the source's owner or root; anyone else 404",
} as const;
export type ObjectRule = keyof typeof ObjectRules;

export interface Permission {
  /** Roles of which the caller needs one; empty: any signed-in user. Checked before the handler. */
  readonly roles: readonly Role[];
  readonly object: ObjectRule;
  /** An `agent` in the request must be one of the caller's registered agents (else 400). */
  readonly ownAgent?: true;
}

const signedIn: readonly Role[] = [];

/**
 * Who may call each `svc.tasks.*` command (SPEC §4, §5; README "Film master tasks"). The role
 * column is enforced once, before any handler runs; the object column names the rule the
 * use case applies to the row it reads. A command missing here is a compile error.
 */
export const TasksPermissions = {
  [S.uploadCreate]: { roles: signedIn, object: 'createsOwn', ownAgent: true },
  [S.uploadUpdate]: { roles: signedIn, object: 'taskReporter' },
  [S.downloadCreate]: { roles: signedIn, object: 'sourceDownloader', ownAgent: true },
  [S.downloadUpdate]: { roles: signedIn, object: 'taskReporter' },
  [S.downloadGet]: { roles: signedIn, object: 'taskReader' },
  [S.privateList]: { roles: signedIn, object: 'callersRows' },
  [S.mine]: { roles: signedIn, object: 'callersRows' },
  [S.privateUpdate]: { roles: signedIn, object: 'taskReporter' },
  [S.sourceGet]: { roles: signedIn, object: 'sourceReader' },
  [S.sourceDelete]: { roles: signedIn, object: 'sourceManager' },
  [S.grantCreate]: { roles: signedIn, object: 'sourceManager' },
  [S.grantList]: { roles: signedIn, object: 'sourceManager' },
  [S.grantRevoke]: { roles: signedIn, object: 'sourceManager' },
  // The signing agent (signature.agent) must be the caller's.
  [S.auditAppend]: { roles: signedIn, object: 'auditAppender', ownAgent: true },
  [S.auditList]: { roles: signedIn, object: 'sourceAuditor' },
  // An id registered to another user is refused by the agents use case as a conflict (409).
  [S.agentRegister]: { roles: signedIn, object: 'callersRows' },
  [S.agentList]: { roles: signedIn, object: 'callersRows' },
  [S.agentGet]: { roles: signedIn, object: 'publicRecord' },
} as const satisfies { [C in TasksCommand]: Permission };

/** A task as read, or undefined when no task has that id. */
export interface TaskFacts {
  readonly kind: MasterTaskKind;
  readonly id: number;
  readonly ownerId: string | undefined;
}

/** A source as read (owner undefined: no such source), with the caller's grant on it if any. */
export interface SourceFacts {
  readonly id: number;
  readonly ownerId: string | undefined;
  readonly grant: GrantRow | undefined;
}

interface FactsOf {
  taskReporter: TaskFacts;
  taskReader: TaskFacts;
  sourceReader: SourceFacts;
  sourceDownloader: SourceFacts;
  sourceManager: SourceFacts;
  auditAppender: SourceFacts;
  sourceAuditor: SourceFacts;
}

type RuleOf<C extends TasksCommand> = (typeof TasksPermissions)[C]['object'];
/** Commands whose rule looks at an object the use case reads. */
export type ObjectCommand = {
  [C in TasksCommand]: RuleOf<C> extends keyof FactsOf ? C : never;
}[TasksCommand];

const taskNotFound = ({ kind, id }: TaskFacts) =>
  new VaultError('notFound', `${kind} task ${id} not found`);
const sourceNotFound = ({ id }: SourceFacts) =>
  new VaultError('notFound', `source ${id} not found`);
const validGrant = (grant: GrantRow | undefined): boolean =>
  grant !== undefined && grantRefusal(grant, new Date()) === undefined;

const checks: { [R in keyof FactsOf]: (principal: Principal, facts: FactsOf[R]) => void } = {
  taskReporter(principal, task) {
    if (task.ownerId === principal.id) return;
    // Root may read every task, so it may learn this one exists and why it cannot write it.
    if (task.ownerId !== undefined && isRoot(principal)) {
      throw new VaultError('forbidden', `only its owner can update ${task.kind} task ${task.id}`);
    }
    throw taskNotFound(task);
  },
  taskReader(principal, task) {
    if (task.ownerId !== undefined && (task.ownerId === principal.id || isRoot(principal))) return;
    throw taskNotFound(task);
  },
  sourceReader(principal, source) {
    if (source.ownerId === undefined) throw sourceNotFound(source);
    if (source.ownerId === principal.id || isRoot(principal) || validGrant(source.grant)) return;
    throw sourceNotFound(source);
  },
  sourceDownloader(principal, source) {
    if (source.ownerId === undefined) throw sourceNotFound(source);
    if (source.ownerId === principal.id) return;
    const { grant } = source;
    if (!grant) {
      if (isRoot(principal)) {
        throw new VaultError(
          'forbidden',
          `you hold no grant to download source ${source.id}; its owner can grant you one`,
        );
      }
      throw sourceNotFound(source);
    }
    const refusal = grantRefusal(grant, new Date());
    if (refusal) {
      throw new VaultError(
        'forbidden',
        `your grant to download source ${source.id} ${refusal}; you cannot download it now`,
      );
    }
  },
  sourceManager(principal, source) {
    if (source.ownerId === undefined) throw sourceNotFound(source);
    if (source.ownerId === principal.id || isRoot(principal)) return;
    if (validGrant(source.grant)) {
      throw new VaultError(
        'forbidden',
        `only the owner of source ${source.id} can manage who may download it`,
      );
    }
    throw sourceNotFound(source);
  },
  auditAppender(principal, source) {
    if (source.ownerId === undefined) throw sourceNotFound(source);
    // Any grant row, revoked or expired too: the download it allowed may still be running.
    if (source.ownerId === principal.id || source.grant !== undefined) return;
    if (isRoot(principal)) {
      throw new VaultError(
        'forbidden',
        `only the agents of the owner and of grantees append to the audit log of source ${source.id}`,
      );
    }
    throw sourceNotFound(source);
  },
  sourceAuditor(principal, source) {
    if (source.ownerId !== undefined && (source.ownerId === principal.id || isRoot(principal))) {
      return;
    }
    throw sourceNotFound(source);
  },
};

/**
 * Applies the object rule the table gives `command` to the object the use case has just read.
 * Throws `notFound` for another user's object (its existence is not revealed) and `forbidden`
 * when the caller may know it exists but not act on it.
 */
export function authorize<C extends ObjectCommand>(
  command: C,
  principal: Principal,
  facts: FactsOf[RuleOf<C>],
): void {
  const rule = TasksPermissions[command].object as keyof FactsOf;
  (checks[rule] as (principal: Principal, facts: FactsOf[typeof rule]) => void)(principal, facts);
}

type AgentCommand = {
  [C in TasksCommand]: (typeof TasksPermissions)[C] extends { ownAgent: true } ? C : never;
}[TasksCommand];

/**
 * The `ownAgent` column: the agent a request names must be the caller's. Someone else's agent is
 * refused exactly like one that does not exist, so agent ids of other users are not revealed.
 */
export function authorizeAgent<C extends AgentCommand, A extends { userId: string }>(
  _command: C,
  principal: Principal,
  agentId: string,
  agent: A | undefined,
): A {
  if (agent?.userId !== principal.id) {
    throw new VaultError('badRequest', `agent: you have no agent with id ${agentId}`);
  }
  return agent;
}

/** The role column of the table, checked before the handler reads anything. */
export function assertCallerRoles(command: string, principal: Principal): void {
  const permission = (TasksPermissions as Partial<Record<string, Permission>>)[command];
  // Deny by default: a command served without a row in the table is nobody's to call.
  if (!permission) throw new VaultError('forbidden', `${command} has no permission rule`);
  if (permission.roles.length > 0 && !hasRole(principal, ...permission.roles)) {
    throw new VaultError('forbidden', 'your roles do not allow this operation');
  }
}

type TasksHandlers = { [C in TasksCommand]: CommandHandler<C> };
type AnyHandler = (request: unknown, ctx: CommandContext) => Promise<unknown>;

/** Wraps every handler so the table's role check runs first, in one place for the service. */
export function guardedHandlers(handlers: TasksHandlers): TasksHandlers {
  const entries = Object.entries(handlers as Record<TasksCommand, AnyHandler>);
  const guarded = entries.map(([command, handler]): [string, AnyHandler] => [
    command,
    async (request, ctx) => {
      assertCallerRoles(command, ctx.principal);
      return handler(request, ctx);
    },
  ]);
  return Object.fromEntries(guarded) as unknown as TasksHandlers;
}
