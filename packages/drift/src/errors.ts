/**
 * Thrown for input that the drift statistics cannot work with (empty samples, non-finite values,
 * mismatched shapes, out-of-range options). The message always says what was wrong and how to fix it.
 */
export class DriftInputError extends Error {
  override readonly name = 'DriftInputError';
}
