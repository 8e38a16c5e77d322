import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('run')
    .description('(being built)')
    .action(() => {
      throw new Error('tidal run is not built yet');
    });
}
