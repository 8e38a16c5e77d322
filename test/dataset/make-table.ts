/**
 * Small data for the dataset tests: simulated breath tables, their CSV files in a fresh temporary
 * folder, and line edits to turn a valid file into a bad one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { simulateDataset } from '../../simulator/index.ts';
import { type BreathTable } from '../../dataset/index.ts';
import { writeBreathCsv } from '../../dataset/write-csv.ts';

/** A few simulated breaths: train with pressure, test with its answers as pressure. */
export function smallTables(seed = 3, breaths = 6, testBreaths = 4): { train: BreathTable; test: BreathTable } {
  return simulateDataset({ breaths, testBreaths, seed });
}

/** A temporary folder removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-dataset-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `table` as a Kaggle CSV in `dir` and returns its path. */
export async function writeTableCsv(dir: string, name: string, table: BreathTable, withPressure = table.pressure !== null): Promise<string> {
  const path = join(dir, name);
  await writeBreathCsv(path, table, { withPressure });
  return path;
}

/** The file's lines (without the final empty one left by a trailing newline). */
export function readLines(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Writes lines joined by LF with a trailing newline; returns the path. */
export function writeLines(path: string, lines: readonly string[]): string {
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Replaces field `column` (by header name) on 1-based `line` of a CSV's lines. */
export function setField(lines: string[], line: number, column: string, value: string): string[] {
  const at = lines[0].split(',').indexOf(column);
  if (at < 0) throw new Error(`no column ${column} in ${lines[0]}`);
  const fields = lines[line - 1].split(',');
  fields[at] = value;
  const out = lines.slice();
  out[line - 1] = fields.join(',');
  return out;
}

/** Field `column` (by header name) on 1-based `line`. */
export function getField(lines: readonly string[], line: number, column: string): string {
  return lines[line - 1].split(',')[lines[0].split(',').indexOf(column)];
}
