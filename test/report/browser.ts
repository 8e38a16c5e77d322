/**
 * Debian's chromium, headless, driven by playwright-core (no downloaded browser). Tests that need
 * it skip with one line when it is missing.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TIDAL_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = existsSync(CHROMIUM) ? false : 'install chromium (apt-get install chromium)';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page asked for that is not the file itself or data: */
  requests: string[];
}

/** Opens an HTML file from file:// and waits until every chart has rendered (window.tidalReady). */
export async function openReport(browser: Browser, file: string, viewport = { width: 1300, height: 900 }): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate(() => (window as unknown as { tidalReady: Promise<unknown> }).tidalReady);
  return { page, errors, requests };
}

/**
 * Per chart id and mark type: how many items the chart's data marks drew (Vega scene graph,
 * role 'mark'). A string, not a function: tsx would wrap named functions in a helper the page lacks.
 */
const COUNT_MARKS = `(() => {
  const counts = {};
  for (const [id, view] of Object.entries(window.tidalViews)) {
    const byType = {};
    const stack = [view.scenegraph().root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node.marktype && node.marktype !== 'group' && node.role === 'mark') {
        byType[node.marktype] = (byType[node.marktype] || 0) + (node.items || []).length;
      }
      for (const child of node.items || []) stack.push(child);
    }
    counts[id] = byType;
  }
  return counts;
})()`;

export function countMarks(page: Page): Promise<Record<string, Record<string, number>>> {
  return page.evaluate(COUNT_MARKS) as Promise<Record<string, Record<string, number>>>;
}
