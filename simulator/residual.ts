/**
 * What the simulator adds to the PI law (core/controller-law.ts): an exploration residual during
 * inspiration, and a fixed u_in schedule once the expiratory valve opens.
 */
/**
 * An exploration residual added to u during inspiration. It is zero outside [start, end], so
 * rows outside that window follow the PI law exactly.
 */
export interface Residual {
  /** 'triangle': peak `height` in the middle of [start, end]; 'boundary': `height` at t = 0 falling to 0 at `end`. */
  kind: 'none' | 'triangle' | 'boundary';
  height: number;
  /** Window where the residual may be non-zero, seconds since the breath start. */
  start: number;
  end: number;
}

export const NO_RESIDUAL: Residual = { kind: 'none', height: 0, start: 0, end: 0 };

export function residualAt(residual: Residual, t: number): number {
  switch (residual.kind) {
    case 'none':
      return 0;
    case 'boundary':
      return t < residual.end ? residual.height * (1 - t / residual.end) : 0;
    case 'triangle': {
      if (t <= residual.start || t >= residual.end) return 0;
      const half = (residual.end - residual.start) / 2;
      return residual.height * (1 - Math.abs(t - (residual.start + half)) / half);
    }
  }
}

/** u_in while the expiratory valve is open: closed for half a second, then a slow rise towards 5. */
export function expiratoryUIn(t: number): number {
  return t < 1.5 ? 0 : 5 * (1 - Math.exp(-5 * (t - 1.5)));
}
