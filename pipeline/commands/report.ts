/**
 * `tidal report --run DIR`: (re)writes the run's self-contained HTML report (report/), and says so
 * when the run's submission is not the file its submit stage recorded (an edit, or a `tidal
 * submit` from before the record was kept in step): the report then describes the recorded blend.
 */
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { RunCatalog } from '../../core/index.ts';
import { writeHtmlReport } from '../../report/index.ts';
import { RunFolder } from '../run-folder.ts';
import { submittedRound } from '../stages/pseudo-label.ts';
import { roundOutputsIntact, submitStageName, type SubmitResult } from '../stages/submit.ts';

/** The warning for a submission that differs from its record, else null. */
function staleSubmission(runDir: string): string | null {
  const catalog = new RunCatalog(runDir);
  const round = submittedRound(catalog);
  const record = new RunFolder(runDir).lastRecord<SubmitResult>(submitStageName(round));
  // Records from before the files' hashes were kept cannot tell.
  if (!record?.result.files || roundOutputsIntact(catalog, round, record.result)) return null;
  return (
    `warning: ${catalog.roundSubmission(round)} (or its blend/oof.arrow) is not the file the ${submitStageName(round)} stage recorded: ` +
    `the report describes the recorded blend. Rebuild both with \`tidal submit --run ${runDir}\` (and the options that made the file) or \`tidal run\``
  );
}

export function register(program: Command): void {
  program
    .command('report')
    .description("Write RUN/report.html from a finished run folder: scores, heat map by (R, C), training curves, example breaths, residuals.")
    .requiredOption('--run <dir>', 'a finished run folder (manifest.json with metrics, predictions/, jobs/)')
    .action(async (options: { run: string }) => {
      const path = await writeHtmlReport(options.run);
      console.log(`report: ${pathToFileURL(path).href}`);
      const warning = staleSubmission(options.run);
      if (warning) console.log(warning);
    });
}
