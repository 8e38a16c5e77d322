/**
 * A fold's resume state: everything a killed run needs to continue and end exactly as an
 * uninterrupted one would. One file, written atomically: a little-endian u32 header length, the
 * JSON header, zero padding to a multiple of 4 bytes, then the float32 arrays the header lists.
 * RNG positions need no saving: shuffles and augmentation draw from generators seeded by
 * (seed, epoch).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/index.ts';
import type { PlateauState } from './schedules.ts';

export const RESUME_FILE = 'resume-state.bin';

export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Learning rate at the epoch's first step. */
  lr: number;
  /** Mean training loss over the epoch's batches. */
  trainLoss: number;
  /** Validation inspiratory MAE after the epoch. */
  validMae: number;
  /** Whether this epoch is the best so far. */
  best: boolean;
  seconds: number;
}

export interface ResumeHeader {
  /** Hash of everything the training depends on; a state written for other inputs is refused. */
  key: string;
  epochsDone: number;
  /** Early stopping fired after the last epoch done. */
  stopped: boolean;
  optimizerStep: number;
  bestEpoch: number;
  bestValidMae: number;
  /** Epochs since the best one. */
  sinceBest: number;
  plateau: PlateauState;
  history: EpochRecord[];
}

export interface ResumeState extends ResumeHeader {
  modelWeights: Float32Array[];
  optimizerMoments: Float32Array[];
  lossVariables: Float32Array[];
  bestWeights: Float32Array[];
}

const GROUPS = ['modelWeights', 'optimizerMoments', 'lossVariables', 'bestWeights'] as const;

export function writeResumeState(dir: string, state: ResumeState): void {
  const { modelWeights, optimizerMoments, lossVariables, bestWeights, ...header } = state;
  const lengths = Object.fromEntries(GROUPS.map((g) => [g, state[g].map((a) => a.length)]));
  // Infinity (no best yet) does not survive JSON.
  const json = Buffer.from(JSON.stringify({ ...header, bestValidMae: String(header.bestValidMae), plateau: { ...header.plateau, best: String(header.plateau.best) }, lengths }));
  const headerBytes = 4 + json.length;
  const offset = Math.ceil(headerBytes / 4) * 4;
  const arrays = GROUPS.flatMap((g) => state[g]);
  const total = offset + 4 * arrays.reduce((s, a) => s + a.length, 0);
  const bytes = new Uint8Array(total);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 4);
  let at = offset;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  writeFileAtomic(join(dir, RESUME_FILE), bytes);
}

/** The state in `dir`, or null when there is none. */
export function readResumeState(dir: string): ResumeState | null {
  const path = join(dir, RESUME_FILE);
  if (!existsSync(path)) return null;
  const file = readFileSync(path);
  const jsonLength = file.readUInt32LE(0);
  let parsed: ResumeHeader & { lengths: Record<(typeof GROUPS)[number], number[]>; bestValidMae: string; plateau: { best: string } };
  try {
    parsed = JSON.parse(file.subarray(4, 4 + jsonLength).toString('utf8'));
  } catch (err) {
    throw new Error(`${path}: unreadable resume header: ${(err as Error).message}`);
  }
  const { lengths, ...header } = parsed;
  let at = Math.ceil((4 + jsonLength) / 4) * 4;
  const groups = {} as Record<(typeof GROUPS)[number], Float32Array[]>;
  for (const g of GROUPS) {
    groups[g] = lengths[g].map((n) => {
      if (at + 4 * n > file.length) throw new Error(`${path}: truncated (${g} runs past the end of the file)`);
      // Copy out: the file buffer is not 4-byte aligned in general.
      const a = new Float32Array(n);
      new Uint8Array(a.buffer).set(file.subarray(at, at + 4 * n));
      at += 4 * n;
      return a;
    });
  }
  return {
    ...header,
    bestValidMae: Number(header.bestValidMae),
    plateau: { ...header.plateau, best: Number(header.plateau.best) },
    ...groups,
  } as ResumeState;
}
