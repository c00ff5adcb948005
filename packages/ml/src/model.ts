import type { ForestParams } from './options.ts';

/**
 * A trained forest as flat arrays: the canonical form that training produces, the artifact
 * stores and {@link Forest} compiles for inference. Nodes of all trees are concatenated, tree by
 * tree; within a tree node 0 is the root and a split node's children are two consecutive nodes
 * with larger indices (so every walk ends, which loading checks).
 */
export interface ForestModel {
  nFeatures: number;
  nClasses: number;
  params: ForestParams;
  /** Mean impurity decrease per feature, summing to 1 (all zeros if no tree ever split). */
  featureImportances: Float64Array;
  /** Number of nodes of each tree. */
  treeNodeCount: Int32Array;
  /** Per node: the feature a split compares, or -1 for a leaf. */
  nodeFeature: Int32Array;
  /** Per node: a row goes left when `row[feature] <= threshold` (0 for leaves). */
  nodeThreshold: Float64Array;
  /** Per node: index within its tree of the left child (the right one is next); -1 for leaves. */
  nodeLeft: Int32Array;
  /** Per leaf, in node order, `nClasses` bootstrap-weighted class counts (integers). */
  leafClassWeights: Uint32Array;
}

/**
 * Class distribution of leaf `leaf` into `out[offset..offset+K)`: its bootstrap counts, times the
 * class weights when the forest has them, normalised to sum 1.
 */
export function leafDistribution(
  model: ForestModel,
  leaf: number,
  out: ArrayLike<number> & { [i: number]: number },
  offset: number,
): void {
  const K = model.nClasses;
  const weights = model.params.classWeights ?? null;
  let total = 0;
  if (weights === null) {
    for (let k = 0; k < K; k++) total += model.leafClassWeights[leaf * K + k]!;
    for (let k = 0; k < K; k++) out[offset + k] = model.leafClassWeights[leaf * K + k]! / total;
    return;
  }
  for (let k = 0; k < K; k++) total += model.leafClassWeights[leaf * K + k]! * weights[k]!;
  for (let k = 0; k < K; k++) out[offset + k] = (model.leafClassWeights[leaf * K + k]! * weights[k]!) / total;
}
