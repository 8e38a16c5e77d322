export type * from './kernel-api.ts';
export { FusedRecurrent, recurrent } from './fused-recurrent.ts';
export type { FusedRecurrentArgs, RecurrentCell, RecurrentDirection } from './fused-recurrent.ts';
export { lstmSequenceOps } from './lstm-ops.ts';
export { gruSequenceOps } from './gru-ops.ts';
export { bidirectionalSequenceNative, gruSequenceNative, lstmSequenceNative } from './native-sequence.ts';
export { recurrencePath } from './recurrence-path.ts';
export { loadNativeKernels, nativeKernelsStatus } from './native.ts';
export type { RecurrencePath } from './recurrence-path.ts';
