/**
 * Lags, leads and differences of a per-row signal within one breath, 0-filled where the shifted
 * row would fall outside the breath (as the public notebooks' groupby-shift + fillna(0) does).
 */
import type { Breath, Feature } from '../types.ts';

export const SHIFTS = [1, 2, 3, 4] as const;

type Signal = 'uIn' | 'uOut';
const SIGNAL_COLUMN: Record<Signal, string> = { uIn: 'u_in', uOut: 'u_out' };

function shiftFeature(signal: Signal, kind: 'lag' | 'lead' | 'diff', description: string, binary: boolean): Feature {
  const column = SIGNAL_COLUMN[signal];
  return {
    name: `${column}_${kind}s`,
    description,
    needs: [signal],
    columns: SHIFTS.map((k) => `${column}_${kind}${k}`),
    binary: SHIFTS.map(() => binary),
    compute(breath: Breath, out: Float32Array[]) {
      const src = breath[signal];
      const n = src.length;
      // One plain loop per kind and edge: these twelve columns are a fifth of the feature time.
      for (let k = 0; k < SHIFTS.length; k++) {
        const o = out[k];
        const s = SHIFTS[k];
        if (kind === 'lag') {
          for (let r = 0; r < s; r++) o[r] = 0;
          for (let r = s; r < n; r++) o[r] = src[r - s];
        } else if (kind === 'lead') {
          for (let r = 0; r < n - s; r++) o[r] = src[r + s];
          for (let r = n - s; r < n; r++) o[r] = 0;
        } else {
          for (let r = 0; r < s; r++) o[r] = src[r];
          for (let r = s; r < n; r++) o[r] = src[r] - src[r - s];
        }
      }
    },
  };
}

export function lagFeature(signal: Signal, description: string, binary: boolean): Feature {
  return shiftFeature(signal, 'lag', description, binary);
}

export function leadFeature(signal: Signal, description: string, binary: boolean): Feature {
  return shiftFeature(signal, 'lead', description, binary);
}

/** x - lag_k(x) with the lag 0-filled, so the first k rows hold x itself. */
export function diffFeature(signal: Signal, description: string): Feature {
  return shiftFeature(signal, 'diff', description, false);
}
