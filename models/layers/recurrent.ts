/**
 * Recurrent layers for every model: one factory so the implementation behind it can change.
 * Backed by the fused LSTM/GRU of models/recurrence (whole-sequence custom gradient).
 */
import type * as tf from '@tensorflow/tfjs';
import { FusedRecurrent } from '../recurrence/fused-recurrent.ts';

export interface RecurrentArgs {
  cell: 'lstm' | 'gru';
  units: number;
  /** Return the whole sequence [B, T, units*(2 if concat)] or only the last step. */
  returnSequences: boolean;
  /** 'forward' | 'reverse' | 'bidirectional'. */
  direction: 'forward' | 'reverse' | 'bidirectional';
  /** How the two directions combine when bidirectional. */
  merge?: 'concat' | 'sum';
  /** Seed of the initialisers; each direction derives its own. */
  seed: number;
  /**
   * Take initial states as extra inputs: call the layer on [x, h0, c0] (LSTM) or [x, h0] (GRU),
   * one group a direction, forward first. Default false (zero states).
   */
  initialState?: boolean;
  name?: string;
}

export function recurrent(args: RecurrentArgs): tf.layers.Layer {
  return new FusedRecurrent(args);
}
