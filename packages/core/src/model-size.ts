import { forestMemoryBytes } from '@automl-stream/ml';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Why a forest of this shape may not serve, or null: what it would hold in memory once loaded
 * (every serving replica loads it, at every start) against MAX_MODEL_BYTES.
 */
export function modelSizeProblem(
  shape: { nNodes: number; nLeaves: number; nClasses: number },
  maxModelBytes: number,
): string | null {
  const bytes = forestMemoryBytes(shape);
  if (bytes <= maxModelBytes) return null;
  return `the model would hold ${mb(bytes)} in memory once loaded (${shape.nLeaves} leaves × ${shape.nClasses} classes), above MAX_MODEL_BYTES (${mb(maxModelBytes)})`;
}
