/**
 * Bad input from a caller: empty or ragged features, infinite values, bad category codes, bad
 * labels or options, wrong feature count at prediction. The platform maps it to a
 * `BAD_USER_INPUT` GraphQL error, so messages name the row/column at fault and say how to fix it.
 */
export class ForestInputError extends Error {
  override readonly name = 'ForestInputError';
}

/**
 * A model artifact that cannot be loaded: wrong magic, unknown format version, truncated or
 * internally inconsistent bytes. This is a storage problem, not a user mistake.
 */
export class ForestArtifactError extends Error {
  override readonly name = 'ForestArtifactError';
}
