/**
 * The console in a real headless Chromium against a running sandbox: the regions' health, a gateway-down
 * fault and its heal from the page's buttons, two chat panes in two regions, and the lag heat map while a
 * region's replication is paused. One sandbox and one browser for the file; screenshots go to docs/ with CHATCTL_SCREENSHOTS=1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleDrills } from '../../../cli/ops/drill/console.js';
import { defaultTopology } from '../../../core/topology.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { ensureChromium, launchBrowser, type TestBrowser } from '../../support/browser.js';
import { startTestSandbox } from '../support.js';

const INTERVAL_MS = 200;
const THRESHOLD = 2;
/** The health-check floor (interval x threshold) plus slack for a loaded two-core machine. */
const FLIP_LIMIT_MS = INTERVAL_MS * THRESHOLD + 8000;
// The screenshots shown in the README: written to docs/ only when asked (CHATCTL_SCREENSHOTS=1 npx vitest run
// test/sandbox/console), so a test run leaves the checkout as it was.
const DOCS = process.env.CHATCTL_SCREENSHOTS
  ? join(import.meta.dirname, '..', '..', '..', 'docs')
  : mkdtempSync(join(tmpdir(), 'chatctl-console-shots-'));

const journalDir = mkdtempSync(join(tmpdir(), 'chatctl-console-journal-'));
let sandbox: Sandbox;
let browser: TestBrowser;
let page: Page;

// Where Chromium is missing this installs it (apt-get): minutes, beyond the usual hook timeout.
beforeAll(() => void ensureChromium(), 15 * 60_000);

beforeAll(async () => {
  [sandbox, browser] = await Promise.all([
    startTestSandbox(
      {
        globalServices: true,
        healthCheckIntervalMs: INTERVAL_MS,
        failureThreshold: THRESHOLD,
        // The drills panel as `sandbox up` shows it (an empty journal: drills-page.test.ts runs drills).
        drills: consoleDrills({ dir: journalDir }),
      },
      defaultTopology(),
    ),
    launchBrowser(),
  ]);
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('console page error:', e.message));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(consoleUrl());
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  rmSync(journalDir, { recursive: true, force: true });
});

function consoleUrl(): string {
  return `${sandbox.consoleUrl}#secret=${encodeURIComponent(sandbox.controlSecret)}`;
}

const region = (key: string) => `section[data-region="${key}"]`;

describe('console page', () => {
  it('console page: shows every region healthy, live', async () => {
    await page.waitForSelector('[data-testid="live"]:text("live")');
    for (const key of ['seoul', 'tokyo', 'na']) {
      await page.waitForSelector(`${region(key)}[data-healthy="true"]`, { timeout: FLIP_LIMIT_MS });
      await page.waitForSelector(`tr[data-routing="${key}"][data-answer="${key}"]`);
    }
    expect(await page.locator('section[data-region]').count()).toBe(3);
  });

  it("console page: tokyo's gateway-down button fails tokyo over within the health-check floor; heal brings it back", async () => {
    await page.click(`${region('tokyo')} button[data-inject="gateway-down"]`);
    await page.waitForSelector(`${region('tokyo')} [data-testid="gateway"][data-ok="false"]`);
    await page.waitForSelector(`${region('tokyo')}[data-healthy="false"]`, { timeout: FLIP_LIMIT_MS });
    const routed = page.locator('tr[data-routing="tokyo"]');
    await page.waitForSelector('tr[data-routing="tokyo"]:not([data-answer="tokyo"])', {
      timeout: FLIP_LIMIT_MS,
    });
    expect(['seoul', 'na']).toContain(await routed.getAttribute('data-answer'));
    await page.screenshot({ path: join(DOCS, 'console-failover.png') });

    await page.click(`${region('tokyo')} button.heal[data-fault="gateway-down"]`);
    await page.waitForSelector(`${region('tokyo')}[data-healthy="true"]`, { timeout: FLIP_LIMIT_MS });
    await page.waitForSelector('tr[data-routing="tokyo"][data-answer="tokyo"]', { timeout: FLIP_LIMIT_MS });
    expect(await page.locator(`${region('tokyo')} button.heal`).count()).toBe(0);
  });

  it('console page: chat panes in seoul and tokyo exchange messages, each showing the other region', async () => {
    const seoul = page.locator('section.chat[data-pane="0"]');
    const tokyo = page.locator('section.chat[data-pane="1"]');
    await seoul.locator('select').selectOption('region:seoul');
    await tokyo.locator('select').selectOption('region:tokyo');
    await seoul.locator('button[data-action="join"]').click();
    await tokyo.locator('button[data-action="join"]').click();
    await seoul.locator('[data-testid="chat-status"]:text("joined lobby")').waitFor();
    await tokyo.locator('[data-testid="chat-status"]:text("joined lobby")').waitFor();

    await seoul.locator('input[aria-label="message"]').fill('hello from seoul');
    await seoul.locator('button[data-action="send"]').click();
    await tokyo.locator('li[data-region="seoul"]:has-text("hello from seoul")').waitFor();
    await tokyo.locator('input[aria-label="message"]').fill('hello from tokyo');
    await tokyo.locator('button[data-action="send"]').click();
    await seoul.locator('li[data-region="tokyo"]:has-text("hello from tokyo")').waitFor();
    await page.screenshot({ path: join(DOCS, 'console-chat.png') });
  });

  it("console page: the lag heat map shows a paused region's pairs growing, and recovering after heal", async () => {
    await page.click(`${region('na')} button[data-inject="replication-pause"]`);
    await page.waitForSelector(`${region('na')}:has-text("replication paused")`);
    const seoul = page.locator('section.chat[data-pane="0"]');
    await seoul.locator('input[aria-label="message"]').fill('written while na is paused');
    await seoul.locator('button[data-action="send"]').click();
    const cell = page.locator('[data-testid="heatmap"] g[data-pair="seoul>na"]');
    await cell.waitFor({ timeout: FLIP_LIMIT_MS });
    const first = Number(await cell.getAttribute('data-ms'));
    // Evaluated in the page (a string: the test's own types have no DOM).
    await page.waitForFunction(
      `Number(document.querySelector('[data-testid="heatmap"] g[data-pair="seoul>na"]')?.getAttribute('data-ms')) > ${first + 500}`,
      undefined,
      { timeout: FLIP_LIMIT_MS },
    );
    expect(await cell.textContent()).toMatch(/\d+ pending/);
    await page.screenshot({ path: join(DOCS, 'console-replication.png') });

    await page.click(`${region('na')} button.heal[data-fault="replication-pause"]`);
    await page.waitForSelector('[data-testid="heatmap"] g[data-pair="seoul>na"][data-ms="0"]', {
      timeout: FLIP_LIMIT_MS,
    });
    expect(await page.locator(`${region('na')}:has-text("replication paused")`).count()).toBe(0);
  });

  it('console page: a page from another origin, without the secret, is refused and changes nothing', async () => {
    const other = await browser.context.newPage();
    try {
      // A page of another origin (data: URLs have the opaque origin "null") tries the control API blind.
      await other.goto('data:text/html,<title>elsewhere</title>');
      const edge = sandbox.edge;
      const outcome = await other.evaluate(
        `Promise.all([
          fetch('${edge}/_chatctl/faults', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ region: 'tokyo', fault: 'gateway-down' }) }).then(() => 'sent', (e) => e.message),
          fetch('${edge}/_chatctl/console/snapshot').then(() => 'read', (e) => e.message),
        ])`,
      );
      expect((outcome as string[])[1]).not.toBe('read');
      expect(sandbox.faults.list('tokyo')).toEqual([]);
    } finally {
      await other.close();
    }
    // The same requests as the edge sees them: refused with the reason, and no CORS header to read it by.
    const fromElsewhere = await fetch(`${sandbox.edge}/_chatctl/console/snapshot`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect(await fromElsewhere.json()).toMatchObject({ error: expect.stringMatching(/Origin/) });
    const streamWithoutSecret = await fetch(`${sandbox.edge}/_chatctl/console/events`);
    expect(streamWithoutSecret.status).toBe(403);
    const streamWithWrongSecret = await fetch(`${sandbox.edge}/_chatctl/console/events?secret=nope`);
    expect(streamWithWrongSecret.status).toBe(403);
    const snapshotWithoutSecret = await fetch(`${sandbox.edge}/_chatctl/console/snapshot`);
    expect(snapshotWithoutSecret.status).toBe(403);
  });
});
