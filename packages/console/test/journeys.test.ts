import {
  auditBodyBytes,
  auditEntryHash,
  type ChainedAuditEntry,
} from '@media-vault/sealed/audit-verify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropFiles,
  launchChromium,
  screenshot,
  seriousViolations,
  signIn,
} from './support/browser.js';
import { makeMp3 } from './support/media.js';
import {
  attachPlatform,
  buildConsole,
  ISSUER_SIGN_IN_URL,
  startPlatform,
  type Platform,
} from './support/platform.js';

/**
 * The console's three journeys in Chromium against the platform `npm run dev` starts: a
 * contributor uploads by drag and drop and resumes after a reload, a reviewer plays one file and
 * rejects the other, the contributor sees the reason arrive, a studio sees its task move and
 * reads a source's audit log verified in the page.
 */
describe('console journeys in a real browser', () => {
  let platform: Platform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let contributor: Page;
  const files: { name: string; bytes: Buffer }[] = [];
  // Names of their own per run, so a run against a platform that is already running sees only its own.
  const run = Date.now().toString(36);

  const newPage = async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    await buildConsole();
    const running = process.env.CONSOLE_TEST_URL;
    platform = running ? await attachPlatform(running) : await startPlatform();
    browser = await launchChromium();
    const tone = Date.now() % 200;
    files.push(await makeMp3(platform.dir, `harbour-${run}.mp3`, 330 + tone));
    files.push(await makeMp3(platform.dir, `static-${run}.mp3`, 600 + tone));
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await platform?.stop();
  });

  it('signs in with a pasted token (accessible sign-in page)', async () => {
    const page = await newPage();
    await page.goto(`${platform.url}/console/`);
    await page.getByLabel('Token').waitFor();
    await screenshot(page, 'sign-in');
    expect(await seriousViolations(page)).toEqual([]);

    // What `npm run token` prints without -s: npm's banner, then the token on the last line.
    const token = await platform.token(`pasted-${run}`, [100]);
    await page
      .getByLabel('Token')
      .fill(`\n> token\n> tsx scripts/token.ts --user pasted-${run} --roles 100\n\n${token}\n`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token').waitFor();
    await page.close();
  });

  it("signs in through the issuer's page; a token link made elsewhere signs no one in", async () => {
    const page = await newPage();
    const token = await platform.token(`issued-${run}`, [100]);
    // The issuer: sends the browser back with the token and the state it was given.
    await page.route(`${ISSUER_SIGN_IN_URL}**`, async (route) => {
      const state = new URL(route.request().url()).searchParams.get('state') ?? '';
      await route.fulfill({
        status: 302,
        headers: { location: `${platform.url}/console/#token=${token}&state=${state}` },
      });
    });
    await page.goto(`${platform.url}/console/`);
    await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(page.url()).toBe(`${platform.url}/console/`);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['mv_session', true, 'Strict'],
    ]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with your organisation' }).waitFor();

    // Someone else's token in a link: the page never started that sign-in, so it is not used.
    const other = await platform.token(`attacker-${run}`, [100]);
    await page.goto('about:blank');
    await page.goto(`${platform.url}/console/#token=${other}&state=guessed`);
    await page.getByText('not started from this page').waitFor();
    expect(page.url()).toBe(`${platform.url}/console/`);
    expect(await page.context().cookies()).toEqual([]);
    await page.close();
  });

  it('contributor: drops two mp3s, reloads mid-upload, drops them again and resumes', async () => {
    contributor = await newPage();
    await signIn(contributor, platform.url, await platform.token(`contrib-${run}`, [100]));
    await contributor.getByRole('heading', { name: 'My audio' }).waitFor();
    expect(await seriousViolations(contributor)).toEqual([]);

    // Only the first chunk of each file gets through; the rest hang as on a dead connection.
    await contributor.route('**/api/v1/assets/audio/chunk_file/**', async (route) => {
      if (new URL(route.request().url()).searchParams.get('index') === '0') await route.continue();
    });
    await dropFiles(contributor, '[data-testid=dropzone]', files);
    for (const file of files) {
      await contributor.locator(`[data-upload="${file.name}"][data-state=uploading]`).waitFor();
    }
    await expect
      .poll(() =>
        contributor.evaluate(() =>
          [...document.querySelectorAll('progress')].map((p) => (p as HTMLProgressElement).value),
        ),
      )
      .toEqual([65536, 65536]);

    // Reloading drops the held requests; only then may chunks pass again.
    await contributor.reload();
    await contributor.unrouteAll({ behavior: 'ignoreErrors' });
    await contributor.getByRole('heading', { name: 'Unfinished uploads' }).waitFor();
    const sent: string[] = [];
    contributor.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.includes('/chunk_file/')) sent.push(url.searchParams.get('index')!);
    });
    await dropFiles(contributor, '[data-testid=dropzone]', files);
    for (const file of files) {
      const row = contributor.locator(`[data-upload="${file.name}"]`);
      await row.and(contributor.locator('[data-state=done]')).waitFor({ timeout: 60_000 });
      await expect.poll(() => row.textContent()).toContain('resumed, 1 chunks already stored');
    }
    // Each file is ~320 KiB, five chunks: the first was stored before the reload.
    expect(sent).not.toContain('0');
    expect(sent.length).toBe(8);
    await screenshot(contributor, 'my-audio-uploads');
  });

  it('contributor: a chunk whose connection drops is sent again without a new drop', async () => {
    const file = await makeMp3(platform.dir, `ferry-${run}.mp3`, 880 + (Date.now() % 200));
    let dropped = 0;
    const sent: string[] = [];
    await contributor.route('**/api/v1/assets/audio/chunk_file/**', async (route) => {
      const index = new URL(route.request().url()).searchParams.get('index')!;
      sent.push(index);
      if (index === '1' && dropped++ === 0) await route.abort('internetdisconnected');
      else await route.continue();
    });
    await dropFiles(contributor, '[data-testid=dropzone]', [file]);
    const row = contributor.locator(`[data-upload="${file.name}"]`);
    await row.and(contributor.locator('[data-state=done]')).waitFor({ timeout: 60_000 });
    await contributor.unrouteAll({ behavior: 'ignoreErrors' });
    expect(sent.filter((index) => index === '1')).toHaveLength(2);
    expect(await row.textContent()).not.toContain('connection lost');
  });

  it('contributor: a create whose answer is lost is sent again and makes one asset', async () => {
    const file = await makeMp3(platform.dir, `tide-${run}.mp3`, 1100 + (Date.now() % 200));
    const keys: string[] = [];
    const ids: string[] = [];
    // The first create reaches the gateway and is made; its answer never reaches the page.
    await contributor.route(
      (url) => url.pathname === '/api/v1/assets/audio',
      async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        keys.push((await route.request().headerValue('idempotency-key')) ?? '');
        const response = await route.fetch();
        ids.push(((await response.json()) as { id: string }).id);
        if (keys.length === 1) await route.abort('internetdisconnected');
        else await route.fulfill({ response });
      },
    );
    await dropFiles(contributor, '[data-testid=dropzone]', [file]);
    const row = contributor.locator(`[data-upload="${file.name}"]`);
    await row.and(contributor.locator('[data-state=done]')).waitFor({ timeout: 60_000 });
    await contributor.unrouteAll({ behavior: 'ignoreErrors' });

    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe('');
    expect(keys[1]).toBe(keys[0]);
    expect(ids[1]).toBe(ids[0]);
    // No second draft was left behind: the user has one asset of this name, merged.
    const user = `contrib-${run}`;
    const token = await platform.token(user, [100]);
    const named = async (path: string) => {
      const reply = await fetch(`${platform.url}${path}`, { headers: { Token: token } });
      const { items } = (await reply.json()) as { items: { id: string; name: string }[] };
      return items.filter((a) => a.name === file.name).map((a) => a.id);
    };
    const mine = [
      ...(await named(`/api/v1/assets/audio?owner=${user}&limit=100`)),
      ...(await named(`/api/v1/assets/audio/drafts/${user}?limit=100`)),
    ];
    expect(mine).toEqual([ids[0]]);
  });

  it('reviewer: plays one with seeking, rejects the other; the contributor sees why, live', async () => {
    const reviewer = await newPage();
    await signIn(reviewer, platform.url, await platform.token(`reviewer-${run}`, [120]));
    await reviewer.getByRole('heading', { name: 'Review queue' }).waitFor();
    const queue = reviewer.getByRole('list', { name: /waiting for review/ });
    // The merge pipeline (ffmpeg renditions, IPFS) puts both in SUBMIT; the queue updates live.
    for (const file of files) {
      await queue
        .getByRole('button', { name: new RegExp(file.name) })
        .waitFor({ timeout: 200_000 });
    }
    expect(await seriousViolations(reviewer)).toEqual([]);

    await queue.getByRole('button', { name: new RegExp(files[0]!.name) }).click();
    await reviewer.getByRole('heading', { name: files[0]!.name }).waitFor();
    await reviewer.getByText('Duration').waitFor();
    // As a person does it: the Play button, then the position slider.
    const audioState = () =>
      reviewer.evaluate(() => {
        const audio = document.querySelector('audio')!;
        return { time: audio.currentTime, paused: audio.paused, error: audio.error?.code };
      });
    await reviewer.getByRole('button', { name: `Play ${files[0]!.name}` }).click();
    await expect.poll(async () => (await audioState()).time).toBeGreaterThan(0.5);
    // Seeking past what was fetched makes the browser ask for a byte range.
    const slider = reviewer.getByRole('slider', { name: `Position in ${files[0]!.name}` });
    await slider.focus();
    for (let i = 0; i < 15; i++) await slider.press('ArrowRight');
    await expect.poll(async () => (await audioState()).time).toBeGreaterThan(12);
    const played = await audioState();
    expect(played.error).toBeUndefined();
    expect(played.paused).toBe(false);
    await reviewer.getByRole('button', { name: `Pause ${files[0]!.name}` }).waitFor();
    await screenshot(reviewer, 'review-queue');

    const reason = 'Clipping at 0:04, please upload the unmastered take';
    // By keyboard, straight after using the player (focus still on its slider): j/k move through
    // the queue, r opens the reason, Ctrl+Enter rejects.
    const heading = () => reviewer.locator('article h3').textContent();
    const order = await queue.getByRole('button').allTextContents();
    const target = order.findIndex((text) => text.includes(files[1]!.name));
    const current = order.findIndex((text) => text.includes(files[0]!.name));
    for (let i = current; i !== target; i += target > current ? 1 : -1) {
      await reviewer.keyboard.press(target > current ? 'j' : 'k');
    }
    await expect.poll(heading).toBe(files[1]!.name);
    await reviewer.keyboard.press('r');
    await expect
      .poll(() => reviewer.evaluate(() => document.activeElement?.id))
      .toBe('reject-reason');
    await reviewer.keyboard.type(reason);
    await reviewer.keyboard.press('Control+Enter');
    await reviewer.getByText(/reject: asset \d+ is now REJECT/).waitFor();
    await expect
      .poll(() => queue.getByRole('button', { name: new RegExp(files[1]!.name) }).count())
      .toBe(0);

    // The contributor's page was not reloaded: the reason arrives through the event stream.
    let navigations = 0;
    contributor.on('framenavigated', () => navigations++);
    const rejected = contributor.getByRole('table', { name: 'Rejected' });
    await rejected.getByText(reason).waitFor({ timeout: 20_000 });
    expect(navigations).toBe(0);
    // Rejected, so no longer among the submitted ones.
    await expect
      .poll(() =>
        contributor
          .getByRole('table', { name: 'Submitted and published' })
          .locator(`[data-asset="${files[1]!.name}"]`)
          .count(),
      )
      .toBe(0);
    await screenshot(contributor, 'my-audio');

    // The other one: approve, then disable it among the published, then recover it.
    const message = reviewer.getByRole('status');
    await queue.getByRole('button', { name: new RegExp(files[0]!.name) }).click();
    await reviewer.keyboard.press('a');
    await message.getByText(/resolve: asset \d+ is now POST/).waitFor();
    await reviewer.getByRole('radio', { name: 'Published' }).check();
    const published = reviewer.getByRole('list', { name: /published/ });
    await published.getByRole('button', { name: new RegExp(files[0]!.name) }).click();
    await reviewer.keyboard.press('d');
    await message.getByText(/disable: asset \d+ is now DISABLE/).waitFor();
    await reviewer.getByRole('radio', { name: 'Disabled' }).check();
    const disabled = reviewer.getByRole('list', { name: /disabled/ });
    await disabled.getByRole('button', { name: new RegExp(files[0]!.name) }).click();
    expect(await reviewer.getByRole('button', { name: /Approve|Disable/ }).count()).toBe(0);
    await reviewer.getByRole('button', { name: 'Recover' }).click();
    await message.getByText(/recover: asset \d+ is now POST/).waitFor();
    expect(await seriousViolations(reviewer)).toEqual([]);
  });

  it('studio: a task status change arrives live, with the seed status names', async () => {
    const studio = await newPage();
    const token = await platform.token(`studio-${run}`, []);
    await signIn(studio, platform.url, token);
    await studio.getByRole('heading', { name: 'Film masters' }).waitFor();
    await studio.locator('[data-live=live]').waitFor();
    const api = (method: string, path: string, body: unknown) =>
      fetch(`${platform.url}${path}`, {
        method,
        headers: { token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { data: { id: number } },
      }));

    const created = await api('POST', '/api/v1/tasks/upload/pbulic/', {
      series_id: 7,
      uuid: `film-${Date.now()}`,
      source_name: 'Harbour Lights',
    });
    expect(created.status).toBe(200);
    const row = studio.locator(`[data-task="upload-${created.body.data.id}"]`);
    await row.getByText('未开始 · not started').waitFor({ timeout: 20_000 });

    const moved = await api('PATCH', `/api/v1/tasks/upload/pbulic/${created.body.data.id}/`, {
      status: 3,
      percent: 40,
    });
    expect(moved.status).toBe(200);
    await row.getByText('上载中 · uploading').waitFor({ timeout: 20_000 });
    await expect.poll(() => row.locator('.percent').textContent()).toBe('40%');
    expect(await seriousViolations(studio)).toEqual([]);
    await screenshot(studio, 'film-masters');

    // After a reload the page reads the caller's tasks again (GET /api/v1/tasks/).
    await studio.reload();
    await row.getByText('上载中 · uploading').waitFor({ timeout: 20_000 });
    expect(await row.locator('.percent').textContent()).toBe('40%');
    const sourceId = (created.body.data as unknown as { source_id: number }).source_id;
    await row.getByText(`(source ${sourceId})`).waitFor();
    await row.getByRole('button', { name: `Grants of source ${sourceId}` }).click();
    await studio.getByRole('table', { name: `Grants of source ${sourceId}` }).waitFor();

    // A task made while no console was open shows in a browser that never saw an event of it.
    const unseen = await api('POST', '/api/v1/tasks/upload/pbulic/', {
      series_id: 7,
      uuid: `film-unseen-${Date.now()}`,
      source_name: 'Night Ferry',
    });
    expect(unseen.status).toBe(200);
    const elsewhere = await newPage();
    await signIn(elsewhere, platform.url, token);
    await elsewhere.getByRole('heading', { name: 'Film masters' }).waitFor();
    const listed = elsewhere.locator(`[data-task="upload-${unseen.body.data.id}"]`);
    await listed.getByText('未开始 · not started').waitFor({ timeout: 20_000 });
    await elsewhere.locator(`[data-task="upload-${created.body.data.id}"]`).waitFor();
  });

  it("studio: after a grant, the source's audit log is verified in the browser", async () => {
    const studio = await newPage();
    const token = await platform.token(`auditor-${run}`, []);
    await signIn(studio, platform.url, token);
    await studio.getByRole('heading', { name: 'Film masters' }).waitFor();
    const api = async (method: string, path: string, body: unknown) => {
      const r = await fetch(`${platform.url}${path}`, {
        method,
        headers: { token, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as { data: Record<string, unknown> } };
    };
    const uuid = `film-audit-${run}`;
    const created = await api('POST', '/api/v1/tasks/upload/pbulic/', {
      series_id: 8,
      uuid,
      source_name: 'Night Ferry',
    });
    expect(created.status).toBe(200);
    const sourceId = Number(created.body.data.source_id);
    const licensee = `licensee-${run}`;

    // The grant through the page: the tasks service writes the first entry with it.
    await studio.getByLabel('Source id').fill(String(sourceId));
    await studio.getByRole('button', { name: 'Show grants' }).click();
    await studio.getByLabel('User id').fill(licensee);
    await studio.getByRole('button', { name: 'Grant', exact: true }).click();
    await studio.getByText(`granted to ${licensee}`).waitFor();

    // The studio's agent appends what it did, signed (by OpenSSL here) with its Ed25519 key.
    const rawKey = (key: KeyObject) => String(key.export({ format: 'jwk' }).x);
    const signing = generateKeyPairSync('ed25519');
    const agent = { id: `studio-agent-${run}`, signingKey: rawKey(signing.publicKey) };
    const registered = await api('POST', '/api/v1/agents/', {
      id: agent.id,
      peer_id: '12D3KooWAuditJourney',
      public_key: rawKey(generateKeyPairSync('x25519').publicKey),
      signing_key: agent.signingKey,
    });
    expect(registered.status).toBe(200);
    const body = {
      entry_id: `job-${run}:failure`,
      source_id: sourceId,
      source_uuid: uuid,
      kind: 'failure',
      at: new Date().toISOString(),
      actor: { user_id: `auditor-${run}`, agent: agent.id },
      data: {
        task: 'upload',
        task_id: Number(created.body.data.id),
        job: 'seal',
        reason: 'disk full',
      },
    };
    const { source_id: _source, ...appended } = body;
    const append = await api('POST', `/api/v1/sources/${sourceId}/audit/`, {
      ...appended,
      signature: {
        agent: agent.id,
        signing_key: agent.signingKey,
        value: sign(null, auditBodyBytes(body), signing.privateKey).toString('base64url'),
      },
    });
    expect(append.status).toBe(200);

    await studio.getByRole('link', { name: `Audit log of source ${sourceId}` }).click();
    await studio.getByRole('heading', { name: `Audit log of source ${sourceId}` }).waitFor();
    const verdict = studio.locator('[data-verdict]');
    await expect.poll(() => verdict.getAttribute('data-verdict')).toBe('ok');
    expect(await verdict.textContent()).toContain('2 entries');
    const rows = studio.locator('tr[data-seq]');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-check')))).toEqual(
      ['ok', 'ok'],
    );
    await rows.nth(0).getByText(`granted to ${licensee}`).waitFor();
    await rows.nth(1).getByText('upload task', { exact: false }).waitFor();
    await rows.nth(1).getByText(agent.id).first().waitFor();
    expect(await seriousViolations(studio)).toEqual([]);
    await screenshot(studio, 'audit-log');

    // The verdict is the page's own: a log rewritten on the way, its hash recomputed as a database
    // rewrite would, fails the agent's signature at entry 2.
    await studio.route(`**/api/v1/sources/${sourceId}/audit/**`, async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as { data: ChainedAuditEntry[] };
      const second = json.data[1]!;
      const { hash: _hash, ...rest } = { ...second, data: { ...second.data, reason: 'none' } };
      json.data[1] = { ...rest, hash: auditEntryHash(rest) };
      await route.fulfill({ response, json });
    });
    await studio.reload();
    await expect.poll(() => verdict.getAttribute('data-verdict')).toBe('broken');
    expect(await verdict.textContent()).toContain('broken at entry 2: bad-signature');
  });
});
