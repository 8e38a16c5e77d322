/**
 * Learning rate as a function of training progress. The stateless schedules depend only on the
 * fractional epoch, so a resumed run sees the same rates; plateau's state is in PlateauState and
 * travels with the resume state.
 */
import type { ScheduleConfig } from './recipe.ts';

/** Reduce-on-plateau bookkeeping. */
export interface PlateauState {
  /** Current multiplier of the base lr. */
  factor: number;
  /** Best validation inspiratory MAE seen. */
  best: number;
  /** Epochs since it last improved. */
  wait: number;
}

export function initialPlateauState(): PlateauState {
  return { factor: 1, best: Infinity, wait: 0 };
}

function halfCosine(lr: number, minLr: number, progress: number): number {
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, progress))));
}

/**
 * Learning rate at fractional epoch `at` (epoch index + fraction of its steps done) of `epochs`.
 * `plateau` is required for the plateau schedule.
 */
export function learningRateAt(
  schedule: ScheduleConfig,
  lr: number,
  at: number,
  epochs: number,
  plateau?: PlateauState,
): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'cosine': {
      const start = epochs * (1 - schedule.decayFraction);
      return at < start ? lr : halfCosine(lr, schedule.minLr, (at - start) / (epochs - start));
    }
    case 'cosine-restarts': {
      let cycle = schedule.cycleEpochs;
      let t = at;
      while (t >= cycle) {
        t -= cycle;
        cycle *= schedule.cycleMult;
      }
      return halfCosine(lr, schedule.minLr, t / cycle);
    }
    case 'plateau':
      if (!plateau) throw new Error('learningRateAt: the plateau schedule needs its PlateauState');
      return Math.max(schedule.minLr, lr * plateau.factor);
  }
}

/** Updates the plateau state after an epoch's validation MAE (a no-op for other schedules). */
export function updatePlateau(schedule: ScheduleConfig, lr: number, state: PlateauState, validMae: number): PlateauState {
  if (schedule.kind !== 'plateau') return state;
  if (validMae < state.best) return { ...state, best: validMae, wait: 0 };
  const wait = state.wait + 1;
  if (wait < schedule.patience) return { ...state, wait };
  const factor = Math.max(schedule.minLr / lr, state.factor * schedule.factor);
  return { ...state, factor, wait: 0 };
}
