import { rowMean } from '../row-stats.ts';
import type { FoldCombiner } from './fold-combiner.ts';

export const meanFolds: FoldCombiner = {
  name: 'mean',
  description: 'mean of the fold predictions',
  combine: (folds) => rowMean(folds, 'fold combiner mean'),
};
