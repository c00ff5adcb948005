/**
 * Bytes a loaded forest holds, from its shape. Per node the model keeps its feature, threshold,
 * left child, missing direction and category slot (21 bytes) and the compiled inference layout
 * its threshold, packed word, left child, feature, leaf offset and missing direction (25 bytes)
 * plus a 4-byte word: the quantized node of a numeric forest, the category offset of a forest
 * with categorical splits (the per-feature cut tables, a few KiB, are left out); per leaf and
 * class the model keeps a Uint32 class weight and the layout a Float64 probability (12 bytes). A
 * forest with categorical splits adds a 32-byte category set per such split in both (64 bytes).
 * The class term is the one that grows: a forest of 10^5 leaves over 1000 classes holds 1.2 GB.
 */
export function forestMemoryBytes(shape: {
  nNodes: number;
  nLeaves: number;
  nClasses: number;
  nCategoricalSplits?: number;
}): number {
  const categorical = shape.nCategoricalSplits ?? 0;
  return 50 * shape.nNodes + 12 * shape.nLeaves * shape.nClasses + 64 * categorical;
}
