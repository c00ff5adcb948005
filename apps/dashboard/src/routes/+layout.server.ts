import { env } from '$env/dynamic/private';
import type { LayoutServerLoad } from './$types';

/** Where the platform listens when GRAPHQL_URL is unset: `pnpm start`'s default PORT. */
const DEFAULT_GRAPHQL_URL = 'http://127.0.0.1:4000/graphql';

/**
 * Hands the browser what it needs to talk to the platform itself (HTTP and WebSocket straight to
 * GRAPHQL_URL; Yoga answers CORS). Read at run time (`$env/dynamic/private`), so one build serves
 * any deployment. The page therefore holds DASHBOARD_API_KEY: see docs/dashboard.md, "Security".
 */
export const load: LayoutServerLoad = ({ setHeaders }) => {
  const graphqlUrl = (env.GRAPHQL_URL ?? '').trim() || DEFAULT_GRAPHQL_URL;
  let parsed: URL;
  try {
    parsed = new URL(graphqlUrl);
  } catch {
    throw new Error(
      `GRAPHQL_URL must be an http(s) URL of the platform's /graphql, e.g. ${DEFAULT_GRAPHQL_URL} (got "${graphqlUrl}")`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(
      `GRAPHQL_URL must start with http:// or https:// (got "${graphqlUrl}"); the WebSocket URL is derived from it`,
    );
  }
  // The page carries an API key: never let a shared cache keep it.
  setHeaders({ 'cache-control': 'no-store' });
  return { graphqlUrl: parsed.toString(), apiKey: env.DASHBOARD_API_KEY ?? '' };
};
