import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('simulate')
    .description('(being built)')
    .action(() => {
      throw new Error('tidal simulate is not built yet');
    });
}
