import { existsSync } from 'node:fs';
import type { BreathTable } from '../dataset/index.ts';
import { InputError } from '../dataset/input-error.ts';
import { assignFolds } from './assign-folds.ts';
import { readFoldsCsv, writeFoldsCsv } from './folds-csv.ts';
import type { FoldAssignment, FoldOptions } from './types.ts';

/**
 * The folds at `path` when that file exists (it must cover exactly the table's breaths with the
 * requested number of folds), else new folds drawn from `options` and written there.
 */
export function loadOrCreateFolds(path: string, table: BreathTable, options: FoldOptions): FoldAssignment {
  if (!existsSync(path)) {
    const assignment = assignFolds(table, options);
    writeFoldsCsv(path, assignment);
    return assignment;
  }
  const assignment = readFoldsCsv(path);
  if (assignment.nFolds !== options.nFolds) {
    throw new InputError({ file: path, column: 'fold' }, `has ${assignment.nFolds} folds, the run asks for ${options.nFolds}`);
  }
  const known = new Set(assignment.breathIds);
  const missing = table.breathId.find((id) => !known.has(id));
  if (missing !== undefined) throw new InputError({ file: path, column: 'breath_id' }, `breath_id ${missing} of the data has no fold`);
  if (assignment.breathIds.length !== table.nBreaths) {
    const inData = new Set(table.breathId);
    const extra = assignment.breathIds.find((id) => !inData.has(id));
    throw new InputError({ file: path, column: 'breath_id' }, `breath_id ${extra} is not in the data`);
  }
  return assignment;
}
