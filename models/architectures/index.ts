export { bilstm, type BilstmConfig } from './bilstm.ts';
export { lstmRaw, type LstmRawConfig } from './lstm-raw.ts';
export { convBilstm, type ConvBilstmConfig } from './conv-bilstm.ts';
export { lstmCnnTransformer, type LstmCnnTransformerConfig } from './lstm-cnn-transformer.ts';
export { transformer, type TransformerConfig } from './transformer.ts';
export { outputChannels, outputHead } from './output-head.ts';
