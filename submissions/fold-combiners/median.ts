import { rowMedian } from '../row-stats.ts';
import type { FoldCombiner } from './fold-combiner.ts';

export const medianFolds: FoldCombiner = {
  name: 'median',
  description: 'median of the fold predictions (what the winning BiLSTM recipes used)',
  combine: (folds) => rowMedian(folds, 'fold combiner median'),
};
