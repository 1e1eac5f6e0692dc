/**
 * The console's drills panel in a real headless Chromium, against a sandbox given the CLI's drills hook (as
 * `chatctl sandbox up` gives it): a dry run started from the page shows its steps, then lands in the recent
 * drills with its timeline; a drill the journal refuses is a sentence on the page. The screenshot goes to
 * docs/ with CHATCTL_SCREENSHOTS=1.
 */
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleDrills } from '../../../cli/ops/drill/console.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { holdDrillJournal } from '../../cli/ops/drill/held-journal.js';
import { startDrillSandbox } from '../../cli/ops/drill/support.js';
import { ensureChromium, launchBrowser, type TestBrowser } from '../../support/browser.js';

const DOCS = process.env.CHATCTL_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', '..', 'docs')
  : mkdtempSync(join(tmpdir(), 'chatctl-console-shots-'));
/** A dry run on a loaded two-core machine, with room to spare. */
const DRILL_LIMIT_MS = 60_000;

let sandbox: Sandbox;
let browser: TestBrowser;
let page: Page;
let dir: string;

// Where Chromium is missing this installs it (apt-get): minutes, beyond the usual hook timeout.
beforeAll(() => void ensureChromium(), 15 * 60_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatctl-console-drills-'));
  [{ sandbox }, browser] = await Promise.all([
    startDrillSandbox({ drills: consoleDrills({ dir, healthTimeoutMs: 8000 }) }),
    launchBrowser(),
  ]);
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('console page error:', e.message));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${sandbox.consoleUrl}#secret=${encodeURIComponent(sandbox.controlSecret)}`);
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const panel = '[data-testid="drills"]';
const live = '[data-testid="drill-live"]';

describe('console drills panel', { timeout: 120_000 }, () => {
  it('console page: a dry run started from the page shows its steps, then its timeline among the recent drills', async () => {
    await page.waitForSelector('[data-testid="live"]:text("live")');
    await page.waitForSelector(`${panel}:has-text("No drills in this project's journal yet.")`);
    await page.selectOption('select[aria-label="drill region"]', 'tokyo');
    expect(await page.isChecked('input[aria-label="dry run"]')).toBe(true);
    await page.click('button[data-action="start-drill"]');

    await page.waitForSelector(`${live} tr[data-step="preflight"]`);
    const id = await page.getAttribute(live, 'data-drill');
    expect(id).toMatch(/-tokyo-/);
    expect(await page.locator(`${live} tr[data-step]`).count()).toBe(10);
    await page.waitForSelector(`${live}[data-state="finished"]`, { timeout: DRILL_LIMIT_MS });
    expect(await page.getAttribute(live, 'data-verdict')).toBe('passed');
    expect(await page.getAttribute(`${live} tr[data-step="preflight"]`, 'data-status')).toBe('passed');
    expect(await page.textContent(`${live} tr[data-step="drain"]`)).toContain('dry run: not changed');

    // The list may first show the drill running (it reloads when a drill starts): wait for its end.
    const row = `table.drills tr[data-drill="${id}"][data-verdict="passed"]`;
    await page.waitForSelector(row, { timeout: DRILL_LIMIT_MS });
    expect(await page.textContent(row)).toMatch(/failover of tokyo \(dry run\).*passed/);
    const timeline = page.locator(`[data-testid="drill-timeline"][data-drill="${id}"] svg`);
    await timeline.waitFor();
    expect(await timeline.getAttribute('aria-label')).toBe(`Failover drill ${id}: tokyo, passed (dry run)`);
    expect(await timeline.textContent()).toContain('preflight (passed)');
  });

  it('console page: a real drill with a hold is followed step by step, and its timeline marks the shift and the restore', async () => {
    await page.selectOption('select[aria-label="drill region"]', 'tokyo');
    await page.uncheck('input[aria-label="dry run"]');
    await page.fill('input[aria-label="hold seconds"]', '3');
    const previous = await page.getAttribute(live, 'data-drill');
    await page.click('button[data-action="start-drill"]');
    // The hold lasts 3 s: the stream shows it running, with the steps before it already passed.
    const hold = `${live}:not([data-drill="${previous}"]) tr[data-step="hold"]`;
    await page.waitForSelector(`${hold}[data-status="running"]`, { timeout: DRILL_LIMIT_MS });
    for (const step of ['preflight', 'drain', 'verify-dns', 'verify-chat']) {
      expect(await page.getAttribute(`${live} tr[data-step="${step}"]`, 'data-status')).toBe('passed');
    }
    expect(await page.textContent(`${live} h3`)).toContain('running');
    await page.waitForSelector(`${live}[data-state="finished"]`, { timeout: DRILL_LIMIT_MS });
    expect(await page.getAttribute(live, 'data-verdict')).toBe('passed');
    const id = await page.getAttribute(live, 'data-drill');

    const timeline = page.locator(`[data-testid="drill-timeline"][data-drill="${id}"] svg`);
    await timeline.waitFor();
    const text = await timeline.textContent();
    expect(text).toMatch(/shifted to (seoul|na): \d/);
    expect(text).toMatch(/restored: \d/);
    const row = `table.drills tr[data-drill="${id}"][data-verdict="passed"]`;
    await page.waitForSelector(row, { timeout: DRILL_LIMIT_MS });
    expect(await page.textContent(row)).toMatch(/failover of tokyo.*passed\d/);
    await page.locator(panel).screenshot({ path: join(DOCS, 'console-drills.png') });
  });

  it('console page: a drill refused by the journal (another drill holds it) is a sentence on the page', async () => {
    const holder = await holdDrillJournal(dir, '20260101T000000Z-na-held');
    try {
      expect(await page.isChecked('input[aria-label="dry run"]')).toBe(false);
      await page.click('button[data-action="start-drill"]');
      const error = page.locator('[data-testid="drill-error"]');
      await error.waitFor();
      expect(await error.textContent()).toMatch(
        /drill 20260101T000000Z-na-held \(na\) is running \(pid \d+\); one drill at a time: .*chatctl drill abort/,
      );
      // The refused drill did not replace the last one the console ran.
      expect(sandbox.drills.live).toMatchObject({ state: 'finished', verdict: 'passed', dryRun: false });
    } finally {
      await holder.release();
    }
  });
});
