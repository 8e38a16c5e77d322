/** folds.csv: `breath_id,fold`, one breath a line, ascending by breath_id; written atomically. */
import { writeFileAtomic } from '../core/index.ts';
import { readInputFileSync } from '../dataset/index.ts';
import { InputError } from '../dataset/input-error.ts';
import type { FoldAssignment } from './types.ts';

const HEADER = 'breath_id,fold';
const INTEGER = /^-?\d+$/;

export function foldsCsvText(assignment: FoldAssignment): string {
  const lines = [HEADER];
  assignment.breathIds.forEach((id, i) => lines.push(`${id},${assignment.folds[i]}`));
  return `${lines.join('\n')}\n`;
}

export function writeFoldsCsv(path: string, assignment: FoldAssignment): void {
  writeFileAtomic(path, foldsCsvText(assignment));
}

/** Parses folds.csv text; `file` names it in errors (line 1 is the header). */
export function parseFoldsCsv(text: string, file: string): FoldAssignment {
  const lines = text.split('\n');
  const clean = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);
  // Blank lines after the last breath are fine, as CSV readers commonly take them.
  while (lines.length > 0 && clean(lines[lines.length - 1]) === '') lines.pop();
  if (lines.length === 0 || clean(lines[0]) !== HEADER) {
    throw new InputError({ file, line: 1 }, `expected the header '${HEADER}', got '${lines.length ? clean(lines[0]) : ''}'`);
  }
  const ids: number[] = [];
  const folds: number[] = [];
  const lineOf = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = i + 1;
    const fields = clean(lines[i]).split(',');
    if (fields.length !== 2) throw new InputError({ file, line }, `expected 2 fields (${HEADER}), got ${fields.length}`);
    const [idText, foldText] = fields;
    const id = Number(idText);
    if (!INTEGER.test(idText) || id < 0 || id > 0x7fffffff) {
      throw new InputError({ file, line, column: 'breath_id' }, `expected a non-negative integer, got '${idText}'`);
    }
    const fold = Number(foldText);
    if (!INTEGER.test(foldText) || fold < 0 || fold > 254) throw new InputError({ file, line, column: 'fold' }, `expected an integer 0..254, got '${foldText}'`);
    const earlier = lineOf.get(id);
    if (earlier !== undefined) throw new InputError({ file, line, column: 'breath_id' }, `breath_id ${id} already appears on line ${earlier}`);
    lineOf.set(id, line);
    ids.push(id);
    folds.push(fold);
  }
  if (ids.length === 0) throw new InputError({ file }, 'no breaths');
  const nFolds = folds.reduce((a, b) => Math.max(a, b), 0) + 1;
  const counts = new Array<number>(nFolds).fill(0);
  for (const f of folds) counts[f]++;
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new InputError({ file, column: 'fold' }, `folds run 0..${nFolds - 1} but fold ${empty} has no breath`);
  if (nFolds < 2) throw new InputError({ file, column: 'fold' }, 'expected at least 2 folds, got 1');
  const order = ids.map((_, i) => i).sort((a, b) => ids[a] - ids[b]);
  return { nFolds, breathIds: Int32Array.from(order, (i) => ids[i]), folds: Uint8Array.from(order, (i) => folds[i]) };
}

export function readFoldsCsv(path: string): FoldAssignment {
  return parseFoldsCsv(readInputFileSync(path, `a folds CSV file (${HEADER})`), path);
}
