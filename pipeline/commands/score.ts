import type { Command } from 'commander';
import { formatScores, scoreSubmissionFiles } from '../../submissions/index.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description('Score a submission: inspiratory MAE (rows with u_out = 0) overall and per (R, C) pair, joining rows by id.')
    .requiredOption('--submission <file>', 'submission CSV (id,pressure)')
    .requiredOption('--answers <file>', 'true pressures (id,pressure), e.g. test_answers.csv from tidal simulate')
    .requiredOption('--test <file>', 'test.csv the submission predicts (gives u_out, R and C)')
    .action(async (options: { submission: string; answers: string; test: string }) => {
      const scores = await scoreSubmissionFiles(options);
      console.log(`inspiratory MAE: ${scores[0].mae.toFixed(5)} over ${scores[0].rows} rows\n`);
      console.log(formatScores(scores));
    });
}
