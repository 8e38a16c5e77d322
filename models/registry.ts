/** Every model the pipeline can train, by name: a new one is a file in architectures/ plus one line below. */
import { createRegistry } from '../core/index.ts';
import { bilstm } from './architectures/bilstm.ts';
import { convBilstm } from './architectures/conv-bilstm.ts';
import { lstmCnnTransformer } from './architectures/lstm-cnn-transformer.ts';
import { lstmRaw } from './architectures/lstm-raw.ts';
import { transformer } from './architectures/transformer.ts';
import type { ModelDefinition } from './model-definition.ts';

export const modelRegistry = createRegistry<ModelDefinition>('model');

export function registerModel(definition: ModelDefinition, options: { override?: boolean } = {}): void {
  modelRegistry.register(definition, options);
}

export function getModel(name: string): ModelDefinition {
  return modelRegistry.get(name);
}

/** Registered model names, in registration order. */
export function listModels(): string[] {
  return modelRegistry.names();
}

for (const definition of [bilstm, lstmRaw, convBilstm, lstmCnnTransformer, transformer] as ModelDefinition[]) {
  registerModel(definition);
}
