import {
  AudioAssetCommandSubjects as S,
  hasRole,
  Roles,
  VaultError,
  type CommandsOf,
  type Principal,
  type Role,
} from '@media-vault/contracts';
import type { CommandContext, CommandHandlers } from '@media-vault/service-kit';
import type { AudioAssetRow } from '../db/schema.js';
import { canSee, canWrite, notFound, parseAssetId } from './access.rules.js';

/**
 * Which asset a command may touch, once the caller's role is allowed:
 * - `none`: the command names no existing asset (Create);
 * - `filtered`: a query whose results the repository limits to what the caller may see (Find);
 * - `ownList`: the `uid` it lists must be the caller's own, root included (403 otherwise);
 * - `ownerOrRoot`: the caller's own asset, or any for root (upload side);
 * - `ownerOnly`: the caller's own asset, root included (the user's own clean-up);
 * - `visible`: POST assets, the caller's own, or any for reviewers and root;
 * - `any`: every asset (review transitions; the state machine decides the rest).
 * Another user's asset the rule does not allow is "not found": its existence is not revealed.
 */
export type ObjectRule =
  'none' | 'filtered' | 'ownList' | 'ownerOrRoot' | 'ownerOnly' | 'visible' | 'any';

export interface Permission {
  /** Roles any one of which allows the command; `signedIn` is every verified caller. */
  readonly roles: readonly Role[] | 'signedIn';
  readonly object: ObjectRule;
}

const uploaders = [Roles.root, Roles.assets] as const;
const reviewers = [Roles.root, Roles.reviewerAssets] as const;

/** SPEC §6 "who", for every `svc.assets.*` command; a missing command fails compilation. */
export const AssetPermissions = {
  [S.assetCreate]: { roles: uploaders, object: 'none' },
  [S.assetChunks]: { roles: uploaders, object: 'ownerOrRoot' },
  [S.assetChunkCommit]: { roles: uploaders, object: 'ownerOrRoot' },
  [S.assetMerge]: { roles: uploaders, object: 'ownerOrRoot' },
  [S.assetSubmit]: { roles: uploaders, object: 'ownerOrRoot' },
  [S.assetListDrafts]: { roles: 'signedIn', object: 'ownList' },
  [S.assetDeleteDraft]: { roles: 'signedIn', object: 'ownerOnly' },
  [S.assetListRejects]: { roles: 'signedIn', object: 'ownList' },
  [S.assetDeleteReject]: { roles: 'signedIn', object: 'ownerOnly' },
  [S.assetFind]: { roles: 'signedIn', object: 'filtered' },
  [S.assetGet]: { roles: 'signedIn', object: 'visible' },
  [S.assetDownload]: { roles: 'signedIn', object: 'visible' },
  [S.assetResolve]: { roles: reviewers, object: 'any' },
  [S.assetReject]: { roles: reviewers, object: 'any' },
  [S.assetDisable]: { roles: reviewers, object: 'any' },
  [S.assetRecover]: { roles: reviewers, object: 'any' },
  [S.assetDelete]: { roles: reviewers, object: 'any' },
} as const satisfies Record<CommandsOf<'assets'>, Permission>;

const roleNames: Record<Role, string> = {
  [Roles.root]: '1 (root)',
  [Roles.assets]: '100 (assets)',
  [Roles.reviewerAssets]: '120 (reviewer_assets)',
};

/** Loads an asset for the ownership check; undefined when there is none. */
export type AssetLookup = (id: bigint) => Promise<AudioAssetRow | undefined>;

const objectAllowed: Record<
  'ownerOrRoot' | 'ownerOnly' | 'visible',
  (p: Principal, row: AudioAssetRow) => boolean
> = {
  ownerOrRoot: (p, row) => row.status !== 'DELETE' && canWrite(p, row),
  ownerOnly: (p, row) => row.status !== 'DELETE' && row.userId === p.id,
  visible: canSee,
};

/**
 * Checks one command against its permission before anything else happens: a wrong role is
 * `forbidden`, another user's list is `forbidden`, another user's asset is `notFound`. The
 * repository checks again under its row locks; this is where the policy is decided.
 */
export async function authorise(
  permission: Permission,
  subject: string,
  principal: Principal,
  request: { readonly id?: string | number; readonly uid?: string },
  lookup: AssetLookup,
): Promise<void> {
  if (permission.roles !== 'signedIn' && !hasRole(principal, ...permission.roles)) {
    const allowed = permission.roles.map((r) => roleNames[r]).join(' or ');
    throw new VaultError('forbidden', `${subject} needs role ${allowed}`);
  }
  switch (permission.object) {
    case 'none':
    case 'filtered':
    case 'any':
      return;
    case 'ownList':
      if (request.uid !== principal.id) {
        throw new VaultError(
          'forbidden',
          `you can list only your own assets (user ${principal.id})`,
        );
      }
      return;
    default: {
      const id = parseAssetId(request.id ?? '');
      const row = await lookup(id);
      if (!row || !objectAllowed[permission.object](principal, row)) throw notFound(id);
    }
  }
}

/** Wraps every handler so that its permission is checked before it runs. */
export function guardCommands(
  handlers: CommandHandlers<'assets'>,
  lookup: AssetLookup,
  permissions: Record<CommandsOf<'assets'>, Permission> = AssetPermissions,
): CommandHandlers<'assets'> {
  type AnyHandler = (req: never, ctx: CommandContext) => Promise<unknown>;
  const guarded: Record<string, AnyHandler> = {};
  for (const [subject, handler] of Object.entries(handlers) as [
    CommandsOf<'assets'>,
    AnyHandler,
  ][]) {
    const permission = permissions[subject];
    guarded[subject] = async (req, ctx) => {
      await authorise(permission, subject, ctx.principal, req, lookup);
      return handler(req, ctx);
    };
  }
  return guarded as unknown as CommandHandlers<'assets'>;
}
