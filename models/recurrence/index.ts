export type * from './kernel-api.ts';
export { FusedRecurrent } from './fused-recurrent.ts';
export type { FusedRecurrentArgs, RecurrentCell, RecurrentDirection } from './fused-recurrent.ts';
export { lstmSequenceOps } from './lstm-ops.ts';
export { gruSequenceOps } from './gru-ops.ts';
export { bidirectionalSequenceNative, gruSequenceNative, lstmSequenceNative } from './native-sequence.ts';
export { getNativeKernels, recurrencePath } from './recurrence-path.ts';
export type { RecurrencePath } from './recurrence-path.ts';
