import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('submit')
    .description('(being built)')
    .action(() => {
      throw new Error('tidal submit is not built yet');
    });
}
