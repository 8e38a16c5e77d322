import { rowMean } from '../row-stats.ts';
import type { BlendMethod } from './blend-method.ts';

export const meanBlend: BlendMethod = {
  name: 'mean',
  description: 'mean of the models',
  fit: () => ({}),
  apply: (_fit, predictions) => rowMean(predictions, 'blend mean'),
};
