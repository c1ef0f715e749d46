import { EventSubjects, type MasterTaskKind } from '@media-vault/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMasterStack, totalCount, type HttpReply, type MasterStack } from './helpers.js';

const run = Date.now().toString(36);

/*
 * SPEC §5 written out by hand, independently of the service and of the contracts' path table, so
 * a wrong table in either fails here.
 */
/** The reports that take a new task (status 0) to each status a task of the kind can reach. */
const WALKS: Record<MasterTaskKind, Record<number, number[]>> = {
  upload: { 0: [], 1: [1], 2: [1, 2], 3: [1, 2, 3], 8: [1, 2, 3, 8], 9: [9] },
  download: { 0: [], 4: [4], 5: [4, 5], 6: [4, 5, 6], 7: [4, 5, 6, 7], 8: [4, 5, 6, 7, 8], 9: [9] },
  private: { 0: [], 3: [3], 8: [3, 8], 9: [9] },
};
/** From each of those statuses, the statuses a report may ask for: Y allowed, . refused. */
const ALLOWED: Record<MasterTaskKind, Record<number, string>> = {
  //    0 1 2 3 4 5 6 7 8 9 ← the status a report asks for
  upload: {
    0: 'Y Y Y Y . . . . Y Y',
    1: '. Y Y Y . . . . Y Y',
    2: '. . Y Y . . . . Y Y',
    3: '. . . Y . . . . Y Y',
    8: '. . . . . . . . Y Y',
    9: 'Y . . . . . . . . Y',
  },
  download: {
    0: 'Y . . . Y Y Y Y Y Y',
    4: '. . . . Y Y Y Y Y Y',
    5: '. . . . . Y Y Y Y Y',
    6: '. . . . . . Y Y Y Y',
    7: '. . . . . . . Y Y Y',
    8: '. . . . . . . . Y Y',
    9: 'Y . . . . . . . . Y',
  },
  private: {
    0: 'Y . . Y . . . . Y Y',
    3: '. . . Y . . . . Y Y',
    8: '. . . . . . . . Y Y',
    9: 'Y . . . . . . . . Y',
  },
};
const KINDS: readonly MasterTaskKind[] = ['upload', 'download', 'private'];
const table = KINDS.flatMap((kind) =>
  Object.entries(ALLOWED[kind]).flatMap(([from, row]) =>
    row.split(' ').map((cell, to) => {
      const allowed = cell === 'Y';
      return {
        kind,
        from: Number(from),
        to,
        walk: WALKS[kind][Number(from)]!,
        allowed,
        label: `${kind} ${from} → ${to} ${allowed ? 'allowed' : 'refused'}`,
      };
    }),
  ),
);

const routes: Record<MasterTaskKind, (id: number) => string> = {
  upload: (id) => `/api/v1/tasks/upload/pbulic/${id}/`,
  download: (id) => `/api/v1/tasks/download/${id}/`,
  private: (id) => `/api/v1/tasks/upload/private/${id}`,
};
const tables: Record<MasterTaskKind, string> = {
  upload: 'upload_tasks',
  download: 'download_tasks',
  private: 'private_tasks',
};
const subjects: Record<MasterTaskKind, (id: number) => string> = {
  upload: EventSubjects.uploadTask,
  download: EventSubjects.downloadTask,
  private: EventSubjects.privateTask,
};

type Envelope<T> = { data: T; message: string };

describe('the status machine over HTTP, every (from, to) pair of every kind', () => {
  let stack: MasterStack;
  let owner: string;
  /** Events each task should have on EVENTS at the end: created + every applied change. */
  const expectedEvents = new Map<string, number>();

  const ok = <T>(res: HttpReply): T => {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body as Envelope<T>).data;
  };
  /** A new task of `kind` at status 0 (its source owned, uploaded and downloaded by one user). */
  const newTask = async (kind: MasterTaskKind): Promise<number> => {
    const upload = ok<{ id: number; source_id: number }>(
      await stack.call('POST', '/api/v1/tasks/upload/pbulic/', {
        token: owner,
        encoding: 'form',
        fields: { series_id: 1, uuid: `table-${run}`, source_name: 'table.mov' },
      }),
    );
    if (kind === 'upload') return upload.id;
    ok(
      await stack.call('PATCH', routes.upload(upload.id), {
        token: owner,
        encoding: 'form',
        fields: { status: 8, hash: 'QmTablePublic' },
      }),
    );
    const download = ok<{ id: number }>(
      await stack.call('GET', `/api/v1/tasks/download/?source_id=${upload.source_id}`, {
        token: owner,
      }),
    );
    if (kind === 'download') return download.id;
    const { rows } = await stack.db!.query('select id from private_tasks where download_id = $1', [
      download.id,
    ]);
    return rows[0].id as number;
  };
  const report = (kind: MasterTaskKind, id: number, status: number, percent?: number) =>
    stack.call<Envelope<{ status: number; percent: number }>>('PATCH', routes[kind](id), {
      token: owner,
      encoding: 'multipart',
      fields: { status, percent, ...(kind === 'download' ? {} : { hash: 'QmTableBlock' }) },
    });
  const row = async (kind: MasterTaskKind, id: number) =>
    (await stack.db!.query(`select * from ${tables[kind]} where id = $1`, [id])).rows[0];

  beforeAll(async () => {
    stack = await startMasterStack({ label: 'master_table' });
    owner = await stack.token(`table-owner-${run}`);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(table)('$label', async ({ kind, from, to, walk, allowed }) => {
    const id = await newTask(kind);
    const subject = subjects[kind](id);
    expectedEvents.set(subject, 1);
    for (const step of walk) {
      ok(await report(kind, id, step));
      expectedEvents.set(subject, expectedEvents.get(subject)! + 1);
    }
    const before = await row(kind, id);

    // Repeating the current status is a change only with a new percent.
    const res = await report(kind, id, to, from === to ? 37 : undefined);

    if (allowed) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.data.status).toBe(to);
      expectedEvents.set(subject, expectedEvents.get(subject)! + 1);
    } else {
      expect(res.status).toBe(409);
      expect(res.body.data).toBeNull();
      expect(res.body.message).toMatch(
        new RegExp(`^${kind} task ${id} cannot go from ${from} to ${to} \\(`),
      );
      expect(await row(kind, id)).toEqual(before);
    }
  });

  it('published exactly one event per applied change, and none for refused ones', async () => {
    await stack.flushEvents();
    const mismatches: string[] = [];
    for (const [subject, expected] of expectedEvents) {
      const count = await totalCount(stack.nc, subject);
      if (count !== expected) mismatches.push(`${subject}: ${count} events, expected ${expected}`);
    }
    expect(mismatches).toEqual([]);
    expect(expectedEvents.size).toBe(table.length);
  });

  it('tries 170 moves: 60 of upload tasks, 70 of download tasks, 40 of private tasks', () => {
    const count = (kind: MasterTaskKind) => table.filter((t) => t.kind === kind).length;
    expect([table.length, count('upload'), count('download'), count('private')]).toEqual([
      170, 60, 70, 40,
    ]);
  });
});
