/**
 * `tidal report --run DIR`: (re)writes the run's self-contained HTML report (report/).
 */
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { writeHtmlReport } from '../../report/index.ts';

export function register(program: Command): void {
  program
    .command('report')
    .description("Write RUN/report.html from a finished run folder: scores, heat map by (R, C), training curves, example breaths, residuals.")
    .requiredOption('--run <dir>', 'a finished run folder (manifest.json with metrics, predictions/, jobs/)')
    .action(async (options: { run: string }) => {
      const path = await writeHtmlReport(options.run);
      console.log(`report: ${pathToFileURL(path).href}`);
    });
}
