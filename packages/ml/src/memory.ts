/**
 * Bytes a loaded forest holds, from its shape. Per node the model keeps its feature, threshold
 * and left child (16 bytes) and the compiled inference layout its threshold, packed word, left
 * child, feature and leaf offset (24 bytes); per leaf and class the model keeps a Uint32 class
 * weight and the layout a Float64 probability (12 bytes). The class term is the one that grows:
 * a forest of 10^5 leaves over 1000 classes holds 1.2 GB.
 */
export function forestMemoryBytes(shape: { nNodes: number; nLeaves: number; nClasses: number }): number {
  return 40 * shape.nNodes + 12 * shape.nLeaves * shape.nClasses;
}
