// A drift check's first URL: the check of the default pipeline.
import { redirect } from '@sveltejs/kit';
import { DEFAULT_PIPELINE, pipelineHref } from '$lib/pipeline-routes.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ params }) => {
  redirect(307, pipelineHref(DEFAULT_PIPELINE, { kind: 'drift', id: params.id }));
};
