import { badInput, type IngestInput, type PipelineRuntime } from '@automl-stream/core';
import type { GraphQLContext, Role } from '../context.ts';

// biome-ignore lint/suspicious/noExplicitAny: any Pothos field builder (query, mutation, subscription)
type FieldBuilder = { arg: { string: (options: any) => any } };

/** The optional `pipeline: String` argument. */
export const pipelineArg = <T extends FieldBuilder>(t: T): ReturnType<T['arg']['string']> =>
  t.arg.string({ required: false, description: PIPELINE_ARG_DESCRIPTION });

/** The `pipeline` argument every root field takes (absent: the default pipeline). */
export const PIPELINE_ARG_DESCRIPTION =
  'The pipeline, by name (lowercase letters, digits, - and _); absent: "default".';

interface PipelineArgs {
  pipeline?: string | null;
}

/**
 * Scope-auth rules of a pipeline field: the role, and the pipeline named by the arguments must be
 * one of the key's (keys limited to pipelines); refused with FORBIDDEN before the resolver runs.
 */
export const scoped =
  (role: Role) =>
  (
    _parent: unknown,
    args: PipelineArgs,
  ): { $all: { pipeline: string } & Partial<Record<Role, boolean>> } => ({
    $all: { [role]: true, pipeline: args.pipeline ?? 'default' },
  });

/** The pipeline's services (NOT_FOUND for a pipeline that does not exist). */
export const pipelineOf = (ctx: GraphQLContext, args: PipelineArgs): Promise<PipelineRuntime> =>
  ctx.platform.pipelines.runtime(args.pipeline);

/** The pipeline a write goes to: created on first ingest unless AUTO_CREATE_PIPELINES=false. */
export const writablePipelineOf = (
  ctx: GraphQLContext,
  args: PipelineArgs,
  options: { create: boolean },
): Promise<PipelineRuntime> =>
  ctx.platform.pipelines.forWrite(args.pipeline, options.create && ctx.platform.config.pipelines.autoCreate);

/** `predict`'s resolver (also run by the direct path, direct-predict.ts): score and store the rows. */
export const predictIn = async (
  ctx: GraphQLContext,
  args: PipelineArgs & { input: Parameters<PipelineRuntime['data']['predict']>[0] },
) => (await writablePipelineOf(ctx, args, { create: false })).data.predict(args.input);

/** `ingest`'s arguments: the service's input, with class names apart from class numbers. */
type IngestArgs = Omit<IngestInput, 'source'> & { labelNames?: unknown };

/** `ingest`'s resolver (also run by the direct path): store the batch, creating the pipeline if allowed. */
export const ingestIn = async (ctx: GraphQLContext, args: PipelineArgs & { input: IngestArgs }) => {
  const { labelNames, ...rest } = args.input;
  if (labelNames && args.input.labels) throw badInput('send labels (class numbers) or labelNames, not both');
  const pipeline = await writablePipelineOf(ctx, args, { create: true });
  return pipeline.data.ingest(
    { ...rest, labels: labelNames ?? args.input.labels, source: 'graphql' },
    { admin: ctx.principal.role === 'admin' },
  );
};
