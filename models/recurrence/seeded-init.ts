/**
 * Keras-style initial weights drawn from core/seed.ts generators (not tfjs's seeded
 * initialisers, whose orthogonal one also warns on every recurrent kernel).
 */
import { createRng } from '../../core/seed.ts';

/** Glorot-uniform [fanIn, fanOut]: U(-l, l), l = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(fanIn: number, fanOut: number, seed: number): Float32Array {
  const rng = createRng(seed, 'glorot-uniform');
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng() - 1) * limit;
  return out;
}

/**
 * Orthogonal [rows, cols] (Keras/Saxe): orthonormalise a Gaussian matrix's columns of the tall
 * orientation (Gram-Schmidt = QR with a positive R diagonal), transposed back when wide.
 */
export function orthogonal(rows: number, cols: number, seed: number): Float32Array {
  const rng = createRng(seed, 'orthogonal');
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // Column-major working copy in float64: q[j] is column j, length `tall`.
  const q: Float64Array[] = [];
  for (let j = 0; j < narrow; j++) {
    const v = new Float64Array(tall);
    for (let i = 0; i < tall; i += 2) {
      // Box-Muller: two standard normals a draw pair.
      const u1 = 1 - rng();
      const u2 = rng();
      const rad = Math.sqrt(-2 * Math.log(u1));
      v[i] = rad * Math.cos(2 * Math.PI * u2);
      if (i + 1 < tall) v[i + 1] = rad * Math.sin(2 * Math.PI * u2);
    }
    // Modified Gram-Schmidt, twice for numerical orthogonality.
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < tall; i++) dot += v[i] * q[p][i];
        for (let i = 0; i < tall; i++) v[i] -= dot * q[p][i];
      }
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < tall; i++) v[i] /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Tall: element (r, c) is q[c][r]; wide: the transpose.
      out[r * cols + c] = rows >= cols ? q[c][r] : q[r][c];
    }
  }
  return out;
}
