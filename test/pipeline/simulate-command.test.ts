/** `tidal simulate` refuses sizes that would give a data set `tidal run` cannot use. */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { register } from '../../pipeline/commands/simulate.ts';

const dir = mkdtempSync(join(tmpdir(), 'tidal-simulate-command-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `tidal simulate ...args` in process; resolves to what it printed as an error ('' if none). */
async function simulate(...args: string[]): Promise<string> {
  let errors = '';
  const program = new Command('tidal').exitOverride().configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} });
  register(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeErr: (text) => (errors += text), writeOut: () => {} });
  try {
    await program.parseAsync(['simulate', ...args], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
  }
  return errors;
}

test('--test-breaths 0 is refused: tidal run needs a test breath', async () => {
  const out = join(dir, 'no-test');
  const error = await simulate('--breaths', '20', '--test-breaths', '0', '--seed', '1', '--out', out);
  assert.match(error, /--test-breaths/);
  assert.match(error, /expected an integer >= 1, got '0': tidal run needs a test breath/);
  assert.equal(existsSync(out), false, 'nothing is written');
});

test('fewer breaths than the folds need are refused, also through the default test breaths', async () => {
  for (const breaths of ['1', '9']) {
    const out = join(dir, `few-${breaths}`);
    const error = await simulate('--breaths', breaths, '--seed', '1', '--out', out);
    assert.match(error, new RegExp(`--breaths.*expected an integer >= 10, got '${breaths}': tidal run's folds need a training breath per fold`));
    assert.equal(existsSync(out), false);
  }
});

test('the smallest accepted set is written', async () => {
  const out = join(dir, 'smallest');
  assert.equal(await simulate('--breaths', '10', '--test-breaths', '1', '--seed', '1', '--out', out), '');
  assert.ok(existsSync(join(out, 'train.csv')));
  assert.ok(existsSync(join(out, 'test.csv')));
});
