/**
 * What the loop simulator needs from a learner: train on rows, predict rows, tell feature
 * importances. The platform's forest is the default; the AutoML search (packages/ml/src/automl)
 * can be plugged in with the same signature.
 */
import { trainForest } from '../../packages/ml/src/index.ts';

export interface TrainedModel {
  predict(rows: readonly (readonly number[])[]): ArrayLike<number>;
  /** Normalised importances, one per feature (null when the learner has none). */
  featureImportances: ArrayLike<number> | null;
  /**
   * Honest predictions of its own training rows (the forest's out-of-bag votes), in training
   * order; -1 where no part of the model left the row out. Absent when the learner has none: the
   * loop then holds out the newest rows of the window for the gate.
   */
  outOfBag?: () => Int32Array;
}

export interface TrainingData {
  features: readonly (readonly number[])[];
  labels: readonly number[];
  nClasses: number;
}

export type Trainer = (data: TrainingData) => Promise<TrainedModel>;

/** The most probable class per row from out-of-bag probabilities (-1 for a row no tree left out). */
function outOfBagPredictions(oob: { proba: Float64Array; votes: Int32Array }, nClasses: number): Int32Array {
  const out = new Int32Array(oob.votes.length).fill(-1);
  for (let r = 0; r < out.length; r++) {
    if (oob.votes[r] === 0) continue;
    let best = 0;
    for (let k = 1; k < nClasses; k++)
      if (oob.proba[r * nClasses + k]! > oob.proba[r * nClasses + best]!) best = k;
    out[r] = best;
  }
  return out;
}

/** The platform's forest with the hyperparameters the retrain service passes (config.model). */
export interface ForestTrainerOptions {
  nEstimators: number;
  maxDepth: number;
  minSamplesLeaf: number;
  maxFeatures: 'sqrt' | 'log2' | 'all' | number;
  seed: number;
  threads: number;
}

/** @default N_ESTIMATORS 30 (the spec's common setup), MAX_DEPTH 10, MIN_SAMPLES_LEAF 1, 'sqrt', RANDOM_SEED 42, 1 thread */
export function forestTrainer(options: Partial<ForestTrainerOptions> = {}): Trainer {
  const o: ForestTrainerOptions = {
    nEstimators: 30,
    maxDepth: 10,
    minSamplesLeaf: 1,
    maxFeatures: 'sqrt',
    seed: 42,
    threads: 1,
    ...options,
  };
  return async ({ features, labels, nClasses }) => {
    const forest = await trainForest(features as number[][], labels, {
      nEstimators: o.nEstimators,
      maxDepth: o.maxDepth,
      minSamplesLeaf: o.minSamplesLeaf,
      maxFeatures: o.maxFeatures,
      seed: o.seed,
      threads: o.threads,
      nClasses,
    });
    let oob: Int32Array | null = null;
    return {
      predict: (rows) => forest.predict(rows as number[][]),
      featureImportances: forest.featureImportances,
      outOfBag: () => {
        oob ??= outOfBagPredictions(forest.outOfBagProba(features as number[][]), nClasses);
        return oob;
      },
    };
  };
}
