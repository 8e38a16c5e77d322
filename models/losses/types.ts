/**
 * What a loss sees and what it is. Losses run inside the trainer's own loop, so they are not bound
 * to model.fit's (yTrue, yPred) signature: the targets carry the inspiratory mask alongside.
 */
import type * as tf from '@tensorflow/tfjs';
import type { OutputKind } from '../model-definition.ts';

export interface LossTargets {
  /** [batch, 80] target pressure. */
  pressure: tf.Tensor2D;
  /** [batch, 80] 1 on inspiratory rows (u_out == 0, the scored rows), 0 elsewhere. */
  inspiratory: tf.Tensor2D;
  /**
   * [batch, 80] per-row weight (pseudo-labelled test rows weigh `pseudoLabel.weight`, rows without
   * a label 0); absent, every row weighs 1. Losses weigh each row's term by it.
   */
  weight?: tf.Tensor2D;
}

/** A loss instance: one per training run, because some losses hold trainable variables. */
export interface Loss {
  name: string;
  /** Trainable variables the loss owns (trained with the model, saved in the resume state). */
  variables: tf.Variable[];
  /** Scalar loss of predictions yPred [batch, 80, channels]. */
  compute(targets: LossTargets, yPred: tf.Tensor3D): tf.Scalar;
  dispose(): void;
}

export interface LossDefinition {
  name: string;
  description: string;
  /** Output kinds whose channel layout this loss understands. */
  outputKinds: readonly OutputKind[];
  /** True when only inspiratory rows (u_out == 0) reach the loss: expiratory targets cannot change it. */
  inspiratoryOnly: boolean;
  create(): Loss;
}

/** A stateless loss from a pure function of (targets, yPred). */
export function statelessLoss(name: string, compute: Loss['compute']): Loss {
  return { name, variables: [], compute, dispose() {} };
}
