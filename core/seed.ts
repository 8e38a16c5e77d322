/**
 * One seed per run; every other seed (simulator, folds, model init, shuffling, each LSTM
 * direction) is derived from it by name, so adding a random draw somewhere never shifts others.
 */
import seedrandom from 'seedrandom';

/** A 31-bit integer seed derived from a base seed and a path of labels. */
export function deriveSeed(base: number, ...labels: (string | number)[]): number {
  // FNV-1a over the base and labels: cheap, stable across platforms and Node versions.
  let h = 0x811c9dc5;
  const text = [base, ...labels].join('/');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

/** A seeded uniform generator on [0, 1) (seedrandom's alea: fast and well mixed). */
export function createRng(seed: number, ...labels: (string | number)[]): () => number {
  return seedrandom.alea(String(deriveSeed(seed, ...labels)));
}
