import { describe, expect, it } from 'vitest';
import {
  isShortcutKey,
  mayTake,
  type ReviewAction,
  type ReviewList,
} from '../src/review-actions.js';

describe('review actions offered per list', () => {
  // The assets service's review table: resolve/reject from SUBMIT, disable from POST, recover
  // from DISABLE, delete from POST or DISABLE.
  it.each<[ReviewList, ReviewAction, boolean]>([
    ['SUBMIT', 'resolve', true],
    ['SUBMIT', 'reject', true],
    ['SUBMIT', 'disable', false],
    ['SUBMIT', 'recover', false],
    ['SUBMIT', 'delete', false],
    ['POST', 'resolve', false],
    ['POST', 'reject', false],
    ['POST', 'disable', true],
    ['POST', 'recover', false],
    ['POST', 'delete', true],
    ['DISABLE', 'resolve', false],
    ['DISABLE', 'reject', false],
    ['DISABLE', 'disable', false],
    ['DISABLE', 'recover', true],
    ['DISABLE', 'delete', true],
  ])('%s: %s → %s', (list, action, offered) => {
    expect(mayTake(list, action)).toBe(offered);
  });
});

describe('which key presses are shortcuts', () => {
  const key = (
    target: { tagName?: string; type?: string; isContentEditable?: boolean } | null,
    mods = {},
  ) => ({
    target,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    ...mods,
  });
  it.each([
    ['on the page', key({ tagName: 'BODY' }), true],
    ['on a button (the player, a queue entry)', key({ tagName: 'BUTTON' }), true],
    ['on the position slider', key({ tagName: 'INPUT', type: 'range' }), true],
    ['in the reason box', key({ tagName: 'TEXTAREA' }), false],
    ['in a text field', key({ tagName: 'INPUT', type: 'text' }), false],
    ['in a field without a type', key({ tagName: 'INPUT' }), false],
    ['in a select', key({ tagName: 'SELECT' }), false],
    ['in editable text', key({ tagName: 'DIV', isContentEditable: true }), false],
    ['with Ctrl held', key({ tagName: 'BODY' }, { ctrlKey: true }), false],
    ['with Alt held', key({ tagName: 'BODY' }, { altKey: true }), false],
    ['with Meta held', key({ tagName: 'BODY' }, { metaKey: true }), false],
  ])('%s', (_name, event, shortcut) => {
    expect(isShortcutKey(event)).toBe(shortcut);
  });
});
