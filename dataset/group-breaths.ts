/**
 * Turns rows in file order into a BreathTable: breaths ordered by breath_id (ascending, whatever
 * their order in the file), rows of a breath ordered by time_step, ties broken by id. Re-splits
 * shuffle breaths and renumber ids, so no order is assumed; a file already in that order (the
 * Kaggle files) is detected in one pass and copied without sorting.
 *
 * Then checks what only whole breaths show: 80 rows each, one R and one C per breath, strictly
 * increasing time_step, unique ids. Errors name the file's line numbers (lineOfRow).
 */
import { ROWS_PER_BREATH, allocateBreathTable, type BreathTable } from './breath-table.ts';
import { lineOfRow } from './csv-columns.ts';
import { InputError } from './input-error.ts';

/** Per-row columns in file order, as read from a breath CSV. */
export interface BreathRows {
  rows: number;
  id: Int32Array;
  breathId: Int32Array;
  R: Uint8Array;
  C: Uint8Array;
  timeStep: Float64Array;
  uIn: Float64Array;
  uOut: Uint8Array;
  pressure: Float64Array | null;
}

export function groupBreaths(file: string, rows: BreathRows): BreathTable {
  const order = isInBreathOrder(rows) ? null : breathOrder(file, rows);
  if (order === null) checkRunLengths(file, rows);
  const table = order === null ? adopt(rows) : gather(rows, order);
  checkBreathConstants(file, rows, table, order);
  checkTimeIncreasing(file, table, order);
  checkUniqueIds(file, rows);
  return table;
}

/** True when breath ids never decrease and each breath's rows come in (time_step, id) order. */
function isInBreathOrder({ rows, breathId, timeStep, id }: BreathRows): boolean {
  for (let i = 1; i < rows; i++) {
    const b = breathId[i];
    const prev = breathId[i - 1];
    if (b > prev) continue;
    if (b < prev) return false;
    const t = timeStep[i];
    const tPrev = timeStep[i - 1];
    if (t < tPrev || (t === tPrev && id[i] < id[i - 1])) return false;
  }
  return true;
}

/** In an ordered file, each run of one breath_id must hold exactly 80 rows. */
function checkRunLengths(file: string, { rows, breathId }: BreathRows): void {
  let start = 0;
  for (let i = 1; i <= rows; i++) {
    if (i < rows && breathId[i] === breathId[start]) continue;
    if (i - start !== ROWS_PER_BREATH) throw wrongRowCount(file, breathId[start], i - start, start);
    start = i;
  }
}

/** Source row of each table row: a counting sort by breath, then a sort by (time_step, id) in each breath. */
function breathOrder(file: string, { rows, breathId, timeStep, id }: BreathRows): Int32Array {
  // Breaths in order of first appearance: their id, row count and first row.
  const groupOf = new Map<number, number>();
  const groupIds: number[] = [];
  const groupFirstRow: number[] = [];
  const rowGroup = new Int32Array(rows);
  let lastId = NaN;
  let lastGroup = -1;
  for (let i = 0; i < rows; i++) {
    const b = breathId[i];
    if (b !== lastId) {
      let g = groupOf.get(b);
      if (g === undefined) {
        g = groupIds.length;
        groupOf.set(b, g);
        groupIds.push(b);
        groupFirstRow.push(i);
      }
      lastId = b;
      lastGroup = g;
    }
    rowGroup[i] = lastGroup;
  }
  const nGroups = groupIds.length;
  const counts = new Int32Array(nGroups);
  for (let i = 0; i < rows; i++) counts[rowGroup[i]]++;
  for (let g = 0; g < nGroups; g++) {
    if (counts[g] !== ROWS_PER_BREATH) throw wrongRowCount(file, groupIds[g], counts[g], groupFirstRow[g]);
  }
  // Every breath now has 80 rows, so a breath's slot in the table fixes where its rows go.
  const byId = Int32Array.from({ length: nGroups }, (_, g) => g).sort((a, b) => groupIds[a] - groupIds[b]);
  const slotOfGroup = new Int32Array(nGroups);
  for (let s = 0; s < nGroups; s++) slotOfGroup[byId[s]] = s;
  const order = new Int32Array(rows);
  const filled = new Int32Array(nGroups);
  for (let i = 0; i < rows; i++) {
    const g = rowGroup[i];
    order[slotOfGroup[g] * ROWS_PER_BREATH + filled[g]++] = i;
  }
  for (let s = 0; s < nGroups; s++) sortBreathRows(order, s * ROWS_PER_BREATH, timeStep, id);
  return order;
}

/** Insertion sort of one breath's 80 source rows by (time_step, id): fast when nearly ordered. */
function sortBreathRows(order: Int32Array, start: number, timeStep: Float64Array, id: Int32Array): void {
  const end = start + ROWS_PER_BREATH;
  for (let i = start + 1; i < end; i++) {
    const row = order[i];
    const t = timeStep[row];
    let j = i - 1;
    while (j >= start) {
      const other = order[j];
      const tOther = timeStep[other];
      if (tOther < t || (tOther === t && id[other] <= id[row])) break;
      order[j + 1] = other;
      j--;
    }
    order[j + 1] = row;
  }
}

/** A file already in breath order: its per-row arrays become the table's, uncopied. */
function adopt(rows: BreathRows): BreathTable {
  const nBreaths = rows.rows / ROWS_PER_BREATH;
  const table: BreathTable = {
    nBreaths,
    breathId: new Int32Array(nBreaths),
    R: new Uint8Array(nBreaths),
    C: new Uint8Array(nBreaths),
    id: rows.id,
    timeStep: rows.timeStep,
    uIn: rows.uIn,
    uOut: rows.uOut,
    pressure: rows.pressure,
  };
  fillBreathColumns(rows, null, table);
  return table;
}

/** Copies rows into a new table in `order` (source row of each table row). */
function gather(rows: BreathRows, order: Int32Array): BreathTable {
  const table = allocateBreathTable(rows.rows / ROWS_PER_BREATH, rows.pressure !== null);
  for (let i = 0; i < rows.rows; i++) {
    const src = order[i];
    table.id[i] = rows.id[src];
    table.timeStep[i] = rows.timeStep[src];
    table.uIn[i] = rows.uIn[src];
    table.uOut[i] = rows.uOut[src];
  }
  if (table.pressure && rows.pressure) for (let i = 0; i < rows.rows; i++) table.pressure[i] = rows.pressure[order[i]];
  fillBreathColumns(rows, order, table);
  return table;
}

/** Per-breath columns from each breath's first row. */
function fillBreathColumns(rows: BreathRows, order: Int32Array | null, table: BreathTable): void {
  for (let b = 0; b < table.nBreaths; b++) {
    const first = b * ROWS_PER_BREATH;
    const src = order === null ? first : order[first];
    table.breathId[b] = rows.breathId[src];
    table.R[b] = rows.R[src];
    table.C[b] = rows.C[src];
  }
}

/** R and C describe the lung, so every row of a breath must carry its first row's values. */
function checkBreathConstants(file: string, rows: BreathRows, table: BreathTable, order: Int32Array | null): void {
  for (let b = 0; b < table.nBreaths; b++) {
    const first = b * ROWS_PER_BREATH;
    for (let i = first + 1; i < first + ROWS_PER_BREATH; i++) {
      const src = order === null ? i : order[i];
      if (rows.R[src] !== table.R[b]) throw lungChange(file, 'R', table, b, src, rows.R[src], order);
      if (rows.C[src] !== table.C[b]) throw lungChange(file, 'C', table, b, src, rows.C[src], order);
    }
  }
}

function lungChange(file: string, column: 'R' | 'C', table: BreathTable, b: number, src: number, got: number, order: Int32Array | null): InputError {
  const first = b * ROWS_PER_BREATH;
  const firstLine = lineOfRow(order === null ? first : order[first]);
  return new InputError(
    { file, line: lineOfRow(src), column },
    `${column} changes inside breath ${table.breathId[b]}: expected ${table[column][b]} (as on line ${firstLine}), got ${got}`,
  );
}

/** After ordering, a repeated time_step is the only way time can fail to increase. */
function checkTimeIncreasing(file: string, table: BreathTable, order: Int32Array | null): void {
  for (let b = 0; b < table.nBreaths; b++) {
    const first = b * ROWS_PER_BREATH;
    for (let i = first + 1; i < first + ROWS_PER_BREATH; i++) {
      if (table.timeStep[i] > table.timeStep[i - 1]) continue;
      const line = lineOfRow(order === null ? i : order[i]);
      const previousLine = lineOfRow(order === null ? i - 1 : order[i - 1]);
      throw new InputError(
        { file, line, column: 'time_step' },
        `time_step does not increase strictly inside breath ${table.breathId[b]}: ${table.timeStep[i]} on line ${line} repeats line ${previousLine}`,
      );
    }
  }
}

/** Ids must be unique; names the lines of the first repeated id. */
export function checkUniqueIds(file: string, { rows, id }: { rows: number; id: Int32Array }): void {
  let increasing = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows; i++) {
    const v = id[i];
    if (i > 0 && v <= id[i - 1]) increasing = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (increasing) return;
  const span = max - min + 1;
  let repeated: number | null = null;
  if (span <= 4 * rows + 1024) {
    // Dense ids (the usual case): remember the row of each id seen.
    const rowPlusOne = new Int32Array(span);
    for (let i = 0; i < rows; i++) {
      const k = id[i] - min;
      if (rowPlusOne[k] !== 0) throw duplicateId(file, id[i], rowPlusOne[k] - 1, i);
      rowPlusOne[k] = i + 1;
    }
    return;
  }
  const sorted = id.slice(0, rows).sort();
  for (let i = 1; i < rows && repeated === null; i++) if (sorted[i] === sorted[i - 1]) repeated = sorted[i];
  if (repeated === null) return;
  const first = id.indexOf(repeated);
  throw duplicateId(file, repeated, first, id.indexOf(repeated, first + 1));
}

function duplicateId(file: string, value: number, firstRow: number, secondRow: number): InputError {
  return new InputError(
    { file, line: lineOfRow(secondRow), column: 'id' },
    `duplicate id ${value}: also on line ${lineOfRow(firstRow)}; expected each id once`,
  );
}

function wrongRowCount(file: string, breathId: number, count: number, firstRow: number): InputError {
  return new InputError(
    { file, line: lineOfRow(firstRow), column: 'breath_id' },
    `breath ${breathId} has ${count} rows; expected ${ROWS_PER_BREATH} (its first row is on line ${lineOfRow(firstRow)})`,
  );
}
