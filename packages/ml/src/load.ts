import { decodeForest } from './artifact.ts';
import { Forest } from './forest.ts';

/**
 * Rebuilds a forest from {@link Forest.serialize} bytes (a Node Buffer from a Postgres `bytea`
 * column is fine); predictions are identical to the forest that was serialized.
 * @throws ForestArtifactError on wrong magic, unsupported format version, truncation or corruption.
 */
export function loadForest(bytes: Uint8Array): Forest {
  return new Forest(decodeForest(bytes));
}
