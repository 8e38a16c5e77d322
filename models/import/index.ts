export {
  loadTorchWeights,
  torchEncoderLayer,
  torchGradientsLikeModel,
  torchLayerArrays,
  transpose2d,
  type TorchArray,
  type TorchImportOptions,
  type TorchLayerImport,
  type TorchPiece,
  type TorchState,
} from './torch-weights.ts';
