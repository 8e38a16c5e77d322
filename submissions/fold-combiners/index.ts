/** Fold combiners by name: a new one is a file in this folder plus one line below. */
import { createRegistry } from '../../core/index.ts';
import type { FoldCombiner } from './fold-combiner.ts';
import { meanFolds } from './mean.ts';
import { medianFolds } from './median.ts';
import { betterThanMedianFolds } from './better-than-median.ts';

export type { FoldCombiner, FoldCombinerOptions } from './fold-combiner.ts';
export { DEFAULT_AGREEMENT } from './better-than-median.ts';

export const foldCombiners = createRegistry<FoldCombiner>('fold combiner');
foldCombiners.register(meanFolds);
foldCombiners.register(medianFolds);
foldCombiners.register(betterThanMedianFolds);
