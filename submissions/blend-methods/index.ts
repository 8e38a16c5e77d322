/** Blend methods by name: a new one is a file in this folder plus one line below. */
import { createRegistry } from '../../core/index.ts';
import type { BlendMethod } from './blend-method.ts';
import { weightsBlend } from './weights.ts';
import { medianBlend } from './median.ts';
import { meanBlend } from './mean.ts';

export type { BlendFit, BlendMethod } from './blend-method.ts';
export { fitSimplexWeights } from './weights.ts';

export const blendMethods = createRegistry<BlendMethod>('blend method');
blendMethods.register(weightsBlend);
blendMethods.register(medianBlend);
blendMethods.register(meanBlend);
