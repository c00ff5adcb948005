// The drift checks' first URL: the default pipeline's list.
import { redirect } from '@sveltejs/kit';
import { DEFAULT_PIPELINE, pipelineHref } from '$lib/pipeline-routes.ts';
import type { PageLoad } from './$types';

export const load: PageLoad = () => {
  redirect(307, pipelineHref(DEFAULT_PIPELINE, { kind: 'checks' }));
};
