import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('score')
    .description('(being built)')
    .action(() => {
      throw new Error('tidal score is not built yet');
    });
}
