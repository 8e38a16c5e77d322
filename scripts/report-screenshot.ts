// Screenshot of a run's report.html in Debian's headless chromium, for docs/report.png:
//   node --import tsx scripts/report-screenshot.ts RUN_DIR [OUT.png]
import { join } from 'node:path';
import { chromiumMissing, launchChromium, openReport } from '../test/report/browser.ts';

const [runDir, out = 'docs/report.png'] = process.argv.slice(2);
if (!runDir) throw new Error('usage: node --import tsx scripts/report-screenshot.ts RUN_DIR [OUT.png]');
if (chromiumMissing) throw new Error(chromiumMissing);
const browser = await launchChromium();
try {
  const { page, errors } = await openReport(browser, join(runDir, 'report.html'));
  if (errors.length > 0) throw new Error(`the report logged errors: ${errors.join('; ')}`);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
