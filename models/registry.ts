/**
 * Every model the pipeline can train, by name. A plain object behind a guard: registering a name
 * twice throws unless the caller asks to override.
 */
import { bilstm } from './architectures/bilstm.ts';
import { convBilstm } from './architectures/conv-bilstm.ts';
import { lstmCnnTransformer } from './architectures/lstm-cnn-transformer.ts';
import { lstmRaw } from './architectures/lstm-raw.ts';
import { transformer } from './architectures/transformer.ts';
import type { ModelDefinition } from './model-definition.ts';

const models: Record<string, ModelDefinition> = Object.create(null);

export function registerModel(definition: ModelDefinition, options: { override?: boolean } = {}): void {
  if (definition.name in models && !options.override) {
    throw new Error(`model '${definition.name}' is already registered`);
  }
  models[definition.name] = definition;
}

export function getModel(name: string): ModelDefinition {
  const definition = models[name];
  if (!definition) {
    throw new Error(`unknown model '${name}'; registered: ${listModels().join(', ')}`);
  }
  return definition;
}

/** Registered model names, in registration order. */
export function listModels(): string[] {
  return Object.keys(models);
}

for (const definition of [bilstm, lstmRaw, convBilstm, lstmCnnTransformer, transformer] as ModelDefinition[]) {
  registerModel(definition);
}
