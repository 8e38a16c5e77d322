import { rowMedian } from '../row-stats.ts';
import type { BlendMethod } from './blend-method.ts';

export const medianBlend: BlendMethod = {
  name: 'median',
  description: 'median of the models',
  fit: () => ({}),
  apply: (_fit, predictions) => rowMedian(predictions, 'blend median'),
};
