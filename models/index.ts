export * from './backend.ts';
export * from './model-definition.ts';
export { getModel, listModels, registerModel } from './registry.ts';
export { addonStatus, nativeKernelPath, releaseNativeBuffers } from './native/index.ts';
export * from './layers/index.ts';
export * from './architectures/index.ts';
export * from './losses/index.ts';
export * from './training/index.ts';
