/**
 * Parse a breath CSV once, then reuse it: the parsed BreathTable is saved as an Arrow IPC file
 * named after the SHA-256 of the CSV's bytes, and later loads map it back without parsing.
 * The key is the content hash, not the modification time, so an edited file is always re-read
 * and a touched but unchanged one is not. When a CSV changes, older cache files made from the
 * same file name and kind are removed so the folder does not grow with every edit.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import { hashFile } from '../core/hash.ts';
import { writeFileAtomic } from '../core/atomic-file.ts';
import { ROWS_PER_BREATH, rowCount, type BreathTable } from './breath-table.ts';
import { checkInputFile } from './input-file.ts';
import { readBreathCsv, type BreathCsvKind } from './read-csv.ts';

/**
 * Bumped when the cached layout, the parser's output or its checks change: old files then stop
 * matching (v2: physical ranges, so a table cached before them is checked again).
 */
const CACHE_VERSION = 2;

export interface CachedBreathTable {
  table: BreathTable;
  /** True when the table came from the cache, false when the CSV was parsed (and cached). */
  fromCache: boolean;
  cachePath: string;
  /** SHA-256 of the CSV's bytes: the cache key, and a key for whatever is derived from the table. */
  hash: string;
}

export async function loadBreathTableCached(csvPath: string, cacheDir: string, kind: BreathCsvKind): Promise<CachedBreathTable> {
  await checkInputFile(csvPath, `the ${kind} CSV file`);
  const hash = await hashFile(csvPath);
  const prefix = `${basename(csvPath)}.${kind}.v${CACHE_VERSION}.`;
  const cachePath = join(cacheDir, `${prefix}${hash}.arrow`);
  const cached = readCache(cachePath, kind, hash);
  if (cached) return { table: cached, fromCache: true, cachePath, hash };
  const table = await readBreathCsv(csvPath, { kind });
  writeFileAtomic(cachePath, tableToIPC(toArrow(table, kind, hash), 'file'));
  removeOlderEntries(cacheDir, prefix, cachePath);
  return { table, fromCache: false, cachePath, hash };
}

/** One Arrow column per CSV column, per row (breath-level values repeated), as in the Kaggle files. */
function toArrow(table: BreathTable, kind: BreathCsvKind, hash: string): Table {
  const rows = rowCount(table);
  const breathId = new Int32Array(rows);
  const R = new Uint8Array(rows);
  const C = new Uint8Array(rows);
  for (let b = 0; b < table.nBreaths; b++) {
    const start = b * ROWS_PER_BREATH;
    breathId.fill(table.breathId[b], start, start + ROWS_PER_BREATH);
    R.fill(table.R[b], start, start + ROWS_PER_BREATH);
    C.fill(table.C[b], start, start + ROWS_PER_BREATH);
  }
  const columns = {
    id: table.id,
    breath_id: breathId,
    R,
    C,
    time_step: table.timeStep,
    u_in: table.uIn,
    u_out: table.uOut,
    ...(kind === 'train' ? { pressure: table.pressure! } : {}),
  };
  const arrow = tableFromArrays(columns);
  arrow.schema.metadata.set('tidal.kind', kind);
  arrow.schema.metadata.set('tidal.source_sha256', hash);
  arrow.schema.metadata.set('tidal.cache_version', String(CACHE_VERSION));
  return arrow;
}

/** The cached table, or null when there is none or it does not describe this source and kind. */
function readCache(cachePath: string, kind: BreathCsvKind, hash: string): BreathTable | null {
  let arrow: Table;
  try {
    arrow = tableFromIPC(readFileSync(cachePath));
  } catch {
    // Missing or unreadable: rebuilt, never trusted.
    return null;
  }
  const meta = arrow.schema.metadata;
  if (meta.get('tidal.kind') !== kind || meta.get('tidal.source_sha256') !== hash || meta.get('tidal.cache_version') !== String(CACHE_VERSION)) {
    return null;
  }
  const rows = arrow.numRows;
  if (rows % ROWS_PER_BREATH !== 0) return null;
  const column = <T>(name: string, type: new (n: number) => T): T | null => {
    const values: unknown = arrow.getChild(name)?.toArray();
    return values instanceof type ? values : null;
  };
  const id = column('id', Int32Array);
  const breathIdPerRow = column('breath_id', Int32Array);
  const rPerRow = column('R', Uint8Array);
  const cPerRow = column('C', Uint8Array);
  const timeStep = column('time_step', Float64Array);
  const uIn = column('u_in', Float64Array);
  const uOut = column('u_out', Uint8Array);
  const pressure = kind === 'train' ? column('pressure', Float64Array) : null;
  if (!id || !breathIdPerRow || !rPerRow || !cPerRow || !timeStep || !uIn || !uOut || (kind === 'train' && !pressure)) return null;
  const nBreaths = rows / ROWS_PER_BREATH;
  const perBreath = <T extends Int32Array | Uint8Array>(perRow: T, out: T): T => {
    for (let b = 0; b < nBreaths; b++) out[b] = perRow[b * ROWS_PER_BREATH];
    return out;
  };
  return {
    nBreaths,
    breathId: perBreath(breathIdPerRow, new Int32Array(nBreaths)),
    R: perBreath(rPerRow, new Uint8Array(nBreaths)),
    C: perBreath(cPerRow, new Uint8Array(nBreaths)),
    id,
    timeStep,
    uIn,
    uOut,
    pressure,
  };
}

function removeOlderEntries(cacheDir: string, prefix: string, keep: string): void {
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (name.startsWith(prefix) && name.endsWith('.arrow') && path !== keep) rmSync(path, { force: true });
  }
}
