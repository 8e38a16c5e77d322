/**
 * Writes submission.csv (`id,pressure`) in sample_submission.csv's order after checking it:
 * every sample id exactly once, no other id, every value finite and (unless told otherwise) on
 * the pressure grid. Nothing is written when a check fails; the file appears atomically.
 */
import { PRESSURE_MAX, PRESSURE_MIN, createAtomicWriteStream, distanceToGrid } from '../core/index.ts';
import { indexIds } from './id-index.ts';

export interface SubmissionOptions {
  /** Require every value within `tolerance` of a grid level (post-processing snapped them). Default true. */
  requireGrid?: boolean;
  /** Default 1e-6. */
  tolerance?: number;
}

const CHUNK_ROWS = 1 << 16;

export class SubmissionError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'SubmissionError';
  }
}

/** The values in sample order; throws SubmissionError naming the first problem. */
export function orderForSubmission(
  path: string,
  ids: Int32Array,
  pressure: ArrayLike<number>,
  sampleIds: Int32Array,
  options: SubmissionOptions = {},
): Float64Array {
  const requireGrid = options.requireGrid ?? true;
  const tolerance = options.tolerance ?? 1e-6;
  if (ids.length !== pressure.length) throw new SubmissionError(path, `${ids.length} ids but ${pressure.length} pressures`);
  const index = indexIds(ids, (id, first, second) => {
    throw new SubmissionError(path, `duplicate id ${id} in the predictions (rows ${first} and ${second})`);
  });
  const ordered = new Float64Array(sampleIds.length);
  const used = new Uint8Array(ids.length);
  for (let i = 0; i < sampleIds.length; i++) {
    const id = sampleIds[i];
    const at = index.get(id);
    if (at < 0) throw new SubmissionError(path, `missing id ${id} (row ${i + 1} of sample_submission) has no prediction`);
    used[at] = 1;
    const p = pressure[at];
    if (!Number.isFinite(p)) throw new SubmissionError(path, `pressure for id ${id} is ${p}`);
    if (requireGrid && (p < PRESSURE_MIN - tolerance || p > PRESSURE_MAX + tolerance || distanceToGrid(p) > tolerance)) {
      throw new SubmissionError(path, `pressure ${p} for id ${id} is not on the pressure grid (snap it first)`);
    }
    ordered[i] = p;
  }
  const extra = used.indexOf(0);
  if (extra >= 0) throw new SubmissionError(path, `id ${ids[extra]} is not in sample_submission`);
  return ordered;
}

export async function writeSubmission(
  path: string,
  ids: Int32Array,
  pressure: ArrayLike<number>,
  sampleIds: Int32Array,
  options: SubmissionOptions = {},
): Promise<void> {
  const ordered = orderForSubmission(path, ids, pressure, sampleIds, options);
  const out = createAtomicWriteStream(path);
  try {
    await out.write('id,pressure\n');
    for (let start = 0; start < ordered.length; start += CHUNK_ROWS) {
      const end = Math.min(start + CHUNK_ROWS, ordered.length);
      let chunk = '';
      for (let i = start; i < end; i++) chunk += `${sampleIds[i]},${ordered[i].toFixed(6)}\n`;
      await out.write(chunk);
    }
    await out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
}
