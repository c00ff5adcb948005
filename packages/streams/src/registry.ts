/**
 * The streams by name, for callers that pick one at run time (`automl-stream demo --stream sea`).
 */
import { type CovariateShiftOptions, covariateShift } from './covariate.ts';
import { type HyperplaneOptions, rotatingHyperplane } from './hyperplane.ts';
import { type SeaOptions, seaConcepts } from './sea.ts';
import { type StreamName, StreamOptionsError, type SyntheticStream } from './stream.ts';

export interface StreamOptionsByName {
  sea: SeaOptions;
  hyperplane: HyperplaneOptions;
  covariate: CovariateShiftOptions;
}

export interface StreamEntry<N extends StreamName> {
  name: N;
  /** One line for `--help` listings. */
  description: string;
  create(options?: StreamOptionsByName[N]): SyntheticStream;
}

export const streams: { readonly [N in StreamName]: StreamEntry<N> } = Object.freeze({
  sea: {
    name: 'sea',
    description:
      'SEA concepts: 3 uniform features, label x0 + x1 <= θ; abrupt concept drift every 5000 samples (θ 8 → 9 → 7 → 9.5), 10% label noise',
    create: (options?: SeaOptions) => seaConcepts(options),
  },
  hyperplane: {
    name: 'hyperplane',
    description:
      'Rotating hyperplane: 10 uniform features, label Σwx >= ½Σw; gradual concept drift from the start (2 weights move 0.001 per sample), 5% label noise',
    create: (options?: HyperplaneOptions) => rotatingHyperplane(options),
  },
  covariate: {
    name: 'covariate',
    description:
      'Covariate shift: 4 Gaussian features, fixed rule sin(x0) + sin(x1) > 0; means of x0 and x1 jump by +3 sd at sample 5000',
    create: (options?: CovariateShiftOptions) => covariateShift(options),
  },
});

export const streamNames: readonly StreamName[] = Object.freeze(['sea', 'hyperplane', 'covariate']);

export function isStreamName(name: string): name is StreamName {
  return (streamNames as readonly string[]).includes(name);
}

/**
 * Creates the stream called `name`. The name is checked at run time too, since it usually comes
 * from a command line.
 */
export function createStream<N extends StreamName>(
  name: N,
  options?: StreamOptionsByName[N],
): SyntheticStream {
  if (!isStreamName(name)) {
    throw new StreamOptionsError(
      `Unknown stream '${String(name)}'. Available streams: ${streamNames.join(', ')}.`,
    );
  }
  return (streams[name] as StreamEntry<N>).create(options);
}
