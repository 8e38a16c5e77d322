/**
 * Writers for Kaggle-shaped files: breath files (train.csv / test.csv) and id,value files
 * (sample_submission.csv, test_answers.csv, submissions). Floats are written in their shortest
 * round-trip form (String(x)), so reading a written file gives back the exact doubles.
 * Rows are formatted in chunks and streamed to a temporary file renamed into place at the end.
 */
import { once } from 'node:events';
import { ROWS_PER_BREATH, rowCount, type BreathTable } from './breath-table.ts';
import { createAtomicWriteStream, type AtomicWriteStream } from '../core/atomic-file.ts';

/** Rows formatted per write: large enough to amortise the stream, small enough to stay in cache. */
const CHUNK_ROWS = 1 << 14;

export const BREATH_CSV_HEADER = 'id,breath_id,R,C,time_step,u_in,u_out';

/** Writes `table` in breath order with the Kaggle header (plus pressure when withPressure). */
export async function writeBreathCsv(path: string, table: BreathTable, { withPressure }: { withPressure: boolean }): Promise<void> {
  const pressure = table.pressure;
  if (withPressure && pressure === null) throw new Error(`writeBreathCsv(${path}): withPressure is set but the table has no pressure`);
  const { id, timeStep, uIn, uOut } = table;
  const rows = rowCount(table);
  await writeChunked(path, `${BREATH_CSV_HEADER}${withPressure ? ',pressure' : ''}\n`, rows, (start, end) => {
    let text = '';
    let breath = -1;
    let breathFields = '';
    for (let i = start; i < end; i++) {
      const b = (i / ROWS_PER_BREATH) | 0;
      if (b !== breath) {
        breath = b;
        breathFields = `,${table.breathId[b]},${table.R[b]},${table.C[b]},`;
      }
      text += id[i] + breathFields + timeStep[i] + ',' + uIn[i] + ',' + uOut[i];
      text += withPressure ? ',' + pressure![i] + '\n' : '\n';
    }
    return text;
  });
}

/** Writes `id,<valueColumn>` rows (a submission, sample_submission.csv, test_answers.csv). */
export async function writeIdValueCsv(path: string, ids: Int32Array, values: Float64Array | Float32Array, valueColumn = 'pressure'): Promise<void> {
  if (ids.length !== values.length) throw new Error(`writeIdValueCsv(${path}): ${ids.length} ids but ${values.length} values`);
  await writeChunked(path, `id,${valueColumn}\n`, ids.length, (start, end) => {
    let text = '';
    for (let i = start; i < end; i++) {
      const value = values[i];
      // A diverged model's NaN must not reach a submission file, which no reader would accept.
      if (!Number.isFinite(value)) throw new Error(`writeIdValueCsv(${path}): ${valueColumn} of id ${ids[i]} is ${value}; expected a finite number`);
      text += ids[i] + ',' + value + '\n';
    }
    return text;
  });
}

async function writeChunked(path: string, header: string, rows: number, format: (start: number, end: number) => string): Promise<void> {
  const out: AtomicWriteStream = createAtomicWriteStream(path);
  try {
    // abort() only removes a temporary file that exists: let the stream create it first.
    await once(out.stream, 'ready');
    await out.write(header);
    for (let start = 0; start < rows; start += CHUNK_ROWS) await out.write(format(start, Math.min(rows, start + CHUNK_ROWS)));
    await out.commit();
  } catch (err) {
    // Writes still queued fail once the stream is destroyed; that is expected now, not news.
    out.stream.on('error', () => undefined);
    out.abort();
    throw err;
  }
}
