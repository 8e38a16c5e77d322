/**
 * `tidal compare RUN_A RUN_B [...]`: metrics side by side, each run against the first, and the
 * config settings that differ; `--html FILE` writes the same as a page.
 */
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../core/index.ts';
import { compareRuns, formatComparison, readComparedRuns, renderComparisonHtml } from '../../report/index.ts';

export function register(program: Command): void {
  program
    .command('compare')
    .description('Compare finished runs: OOF, blend and test MAE side by side with the differences to the first run, and the config settings that differ.')
    .argument('<runs...>', 'two or more run folders; the first is the one the others are compared with')
    .option('--html <file>', 'also write the comparison as a self-contained HTML page')
    .action((runs: string[], options: { html?: string }) => {
      const comparison = compareRuns(readComparedRuns(runs));
      console.log(formatComparison(comparison));
      if (options.html) {
        writeFileAtomic(options.html, renderComparisonHtml(comparison));
        console.log(`\ncompare: ${pathToFileURL(options.html).href}`);
      }
    });
}
