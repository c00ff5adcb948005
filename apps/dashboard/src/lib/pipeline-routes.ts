/**
 * Where each pipeline's pages live, and which pipeline a route shows. A pipeline's pages are
 * under `/p/<name>/` (overview, `models`, `drift`, `drift/<id>`); the fleet page `/fleet` belongs to no
 * pipeline; the first URLs of the dashboard (`/`, `/models`, `/drift`, `/drift/<id>`) are the default
 * pipeline's. Pure (no SvelteKit import) so the tests pin every case.
 */

/** The pipeline every operation without a name works on. */
export const DEFAULT_PIPELINE = 'default';

/** A page of one pipeline: its overview, its models, the list of its drift checks, or one of them. */
export type PipelinePage =
  | { kind: 'overview' }
  | { kind: 'models' }
  | { kind: 'checks' }
  | { kind: 'drift'; id: string };

const OVERVIEW: PipelinePage = { kind: 'overview' };

/** The path of a pipeline's page: `/p/credit`, `/p/credit/models`, `/p/credit/drift`, `/p/credit/drift/12`. */
export function pipelineHref(name: string, target: PipelinePage = OVERVIEW): string {
  const base = `/p/${encodeURIComponent(name)}`;
  if (target.kind === 'models') return `${base}/models`;
  if (target.kind === 'checks') return `${base}/drift`;
  if (target.kind === 'drift') return `${base}/drift/${encodeURIComponent(target.id)}`;
  return base;
}

type Params = Partial<Record<string, string>>;

/**
 * The pipeline a route shows (`route.id` as SvelteKit names it, e.g. `/(app)/p/[pipeline]/models`):
 * the `[pipeline]` parameter under `/p/`, none on the fleet and sign-in pages, the default
 * pipeline on the dashboard's first URLs.
 */
export function pipelineOfRoute(routeId: string | null, params: Params): string | null {
  if (routeId === null || !routeId.startsWith('/(app)')) return null;
  const path = routeId.slice('/(app)'.length);
  if (path === '/fleet') return null;
  if (path.startsWith('/p/[pipeline]')) return params.pipeline ?? null;
  return DEFAULT_PIPELINE;
}

/** Which page of a pipeline a route is (the overview for routes that are no pipeline's page). */
export function pageOfRoute(routeId: string | null, params: Params): PipelinePage {
  const path = (routeId ?? '').replace(/^\/\(app\)/, '').replace(/^\/p\/\[pipeline\]/, '');
  if (path === '/models') return { kind: 'models' };
  if (path === '/drift') return { kind: 'checks' };
  if (path === '/drift/[id]' && params.id !== undefined) return { kind: 'drift', id: params.id };
  return OVERVIEW;
}

/**
 * Where the switcher goes for `target`: the same page of the other pipeline (its models for the
 * models page, its drift checks for the list of checks); a drift check's page goes to the other
 * pipeline's overview, since drift checks are numbered per pipeline.
 */
export function switchHref(routeId: string | null, params: Params, target: string): string {
  const current = pageOfRoute(routeId, params);
  return pipelineHref(target, current.kind === 'models' || current.kind === 'checks' ? current : OVERVIEW);
}

/**
 * What `/` shows, given the pipelines the key may use: null for the default pipeline's overview
 * (only the default pipeline, or none readable: the overview says what is wrong), the one
 * pipeline's overview when the key may use a single other one, else the fleet page.
 */
export function homeTarget(names: readonly string[]): string | null {
  if (names.length > 1) return '/fleet';
  const [only] = names;
  return only === undefined || only === DEFAULT_PIPELINE ? null : pipelineHref(only);
}

/** The switcher's choices: the pipelines listed, plus the one shown when the list lacks it (archived). */
export function switcherChoices(names: readonly string[], current: string | null): string[] {
  return current !== null && !names.includes(current) ? [...names, current] : [...names];
}
