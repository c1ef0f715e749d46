/** Reviewer actions, as the assets service names them in its routes. */
export type ReviewAction = 'resolve' | 'reject' | 'disable' | 'recover' | 'delete';

/** The lists a reviewer works through: one status each. */
export type ReviewList = 'SUBMIT' | 'POST' | 'DISABLE';

/**
 * The actions an asset in each list can take, as the assets service's review table allows them
 * (resolve and reject from SUBMIT, disable from POST, recover from DISABLE, delete from POST or
 * DISABLE). Offering any other would only earn a 409.
 */
export const ACTIONS_OF: Record<ReviewList, readonly ReviewAction[]> = {
  SUBMIT: ['resolve', 'reject'],
  POST: ['disable', 'delete'],
  DISABLE: ['recover', 'delete'],
};

export const LIST_LABEL: Record<ReviewList, string> = {
  SUBMIT: 'Waiting for review',
  POST: 'Published',
  DISABLE: 'Disabled',
};

export const mayTake = (list: ReviewList, action: ReviewAction): boolean =>
  ACTIONS_OF[list].includes(action);

/**
 * Whether a key press is one for the page's shortcuts: not while the person types into a text
 * field (a range slider or a button is not one), nor with a modifier held.
 */
export function isShortcutKey(event: {
  readonly target: {
    readonly tagName?: string;
    readonly type?: string;
    readonly isContentEditable?: boolean;
  } | null;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
}): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey) return false;
  const target = event.target;
  if (!target) return true;
  if (target.isContentEditable) return false;
  const tag = (target.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return false;
  if (tag === 'INPUT') {
    return ['range', 'button', 'submit', 'reset', 'checkbox', 'radio'].includes(
      (target.type ?? 'text').toLowerCase(),
    );
  }
  return true;
}
