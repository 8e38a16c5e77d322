/**
 * A training job's per-epoch history (training loss, validation inspiratory MAE, best flag),
 * kept next to done.json (JobFiles.history) so the HTML report can draw training curves after the
 * job process has gone; written atomically before done.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/index.ts';
import type { EpochRecord } from '../models/training/resume-state.ts';

export function writeJobHistory(path: string, history: EpochRecord[]): void {
  writeFileAtomic(path, `${JSON.stringify(history, null, 2)}\n`);
}

/** The job's epochs, or null for a job finished before histories were kept. */
export function readJobHistory(path: string): EpochRecord[] | null {
  if (!existsSync(path)) return null;
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const fields = ['epoch', 'trainLoss', 'validMae'] as const;
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected an array of epoch records`);
  parsed.forEach((record: Record<string, unknown>, i) => {
    for (const field of fields) {
      if (typeof record?.[field] !== 'number') throw new Error(`${path}: epoch record ${i} has no numeric '${field}'`);
    }
  });
  return parsed as EpochRecord[];
}
