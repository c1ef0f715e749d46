import type { MasterTaskKind } from '@media-vault/contracts';

/*
 * SPEC §5 written out by hand for the tests, one grid per kind: row = the status a task is at,
 * column = the status a report asks for; Y allowed, . refused. Nothing here is computed from the
 * path table the service uses, so a wrong table there fails the tests that read this one.
 */
export const STATUS_GRIDS: Record<MasterTaskKind, readonly string[]> = {
  //        to: 0 1 2 3 4 5 6 7 8 9
  upload: [
    /* 0 */ 'Y Y Y Y . . . . Y Y',
    /* 1 */ '. Y Y Y . . . . Y Y',
    /* 2 */ '. . Y Y . . . . Y Y',
    /* 3 */ '. . . Y . . . . Y Y',
    /* 4 */ '. . . . Y . . . . Y',
    /* 5 */ '. . . . . Y . . . Y',
    /* 6 */ '. . . . . . Y . . Y',
    /* 7 */ '. . . . . . . Y . Y',
    /* 8 */ '. . . . . . . . Y Y',
    /* 9 */ 'Y . . . . . . . . Y',
  ],
  download: [
    /* 0 */ 'Y . . . Y Y Y Y Y Y',
    /* 1 */ '. Y . . . . . . . Y',
    /* 2 */ '. . Y . . . . . . Y',
    /* 3 */ '. . . Y . . . . . Y',
    /* 4 */ '. . . . Y Y Y Y Y Y',
    /* 5 */ '. . . . . Y Y Y Y Y',
    /* 6 */ '. . . . . . Y Y Y Y',
    /* 7 */ '. . . . . . . Y Y Y',
    /* 8 */ '. . . . . . . . Y Y',
    /* 9 */ 'Y . . . . . . . . Y',
  ],
  private: [
    /* 0 */ 'Y . . Y . . . . Y Y',
    /* 1 */ '. Y . . . . . . . Y',
    /* 2 */ '. . Y . . . . . . Y',
    /* 3 */ '. . . Y . . . . Y Y',
    /* 4 */ '. . . . Y . . . . Y',
    /* 5 */ '. . . . . Y . . . Y',
    /* 6 */ '. . . . . . Y . . Y',
    /* 7 */ '. . . . . . . Y . Y',
    /* 8 */ '. . . . . . . . Y Y',
    /* 9 */ 'Y . . . . . . . . Y',
  ],
};

/** The reports that take a new task (status 0) to each status a task of the kind can reach. */
export const WALKS: Record<MasterTaskKind, Readonly<Record<number, readonly number[]>>> = {
  upload: { 0: [], 1: [1], 2: [1, 2], 3: [1, 2, 3], 8: [1, 2, 3, 8], 9: [9] },
  download: { 0: [], 4: [4], 5: [4, 5], 6: [4, 5, 6], 7: [4, 5, 6, 7], 8: [4, 5, 6, 7, 8], 9: [9] },
  private: { 0: [], 3: [3], 8: [3, 8], 9: [9] },
};

/** The grid's answer for one move. */
export const allowedInGrid = (kind: MasterTaskKind, from: number, to: number): boolean =>
  STATUS_GRIDS[kind][from]!.split(' ')[to] === 'Y';

/** The statuses a new task of the kind can be walked to, lowest first. */
export const reachableStatuses = (kind: MasterTaskKind): number[] =>
  Object.keys(WALKS[kind]).map(Number);
