export { NATIVE_ADDON_PATH, addonStatus, loadAddon, nativeKernelPath, releaseNativeBuffers } from './addon.ts';
export type { AddonStatus, NativeAddon } from './addon.ts';
export { layerKernels, shareClonesOnWasm } from './path.ts';
export { attentionCore, convAlongTime, hostView, kernelOutputs, layerNormalize, linear, scratchTensor } from './layer-ops.ts';
export { transformerEncoderNative } from './transformer-encoder-op.ts';
export type { EncoderDims, EncoderWeights } from './transformer-encoder-op.ts';
export type * from './kernel-api.ts';
export { adamUpdateInPlace } from './adam.ts';
export type { AdamHyper } from './adam.ts';
