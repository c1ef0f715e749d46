import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './platform.js';

/** Debian's chromium (Playwright's own browser download is not used). */
export const CHROMIUM = '/usr/bin/chromium';
/**
 * Where each journey's screenshots go: a temporary folder on an ordinary run, so a test run leaves
 * the checkout as it was, and the README's pictures in docs/console with
 * CONSOLE_SCREENSHOTS=docs (to refresh them after changing a page).
 */
export const screenshotDir =
  process.env.CONSOLE_SCREENSHOTS === 'docs'
    ? join(repoRoot, 'docs/console')
    : join(tmpdir(), 'media-vault-console-screenshots');

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    // Audio must be able to start without a click in a headless run.
    args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox'],
  });

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/console/`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Serious and critical axe-core findings on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Drops files on an element the way a desktop drag and drop does (a `drop` with a DataTransfer). */
export async function dropFiles(
  page: Page,
  selector: string,
  files: { name: string; bytes: Buffer }[],
): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    (list) => {
      const transfer = new DataTransfer();
      for (const file of list) {
        const bytes = Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], file.name, { type: 'audio/mpeg' }));
      }
      return transfer;
    },
    files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') })),
  );
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}
