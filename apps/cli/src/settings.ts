import { PIPELINE_NAME } from '@automl-stream/table';
import { UsageError } from './errors.ts';

/**
 * How the CLI reaches a platform. The platform's own settings are read by packages/config; these
 * are the client's, read here from the flags and two environment variables of its own:
 * - `AUTOML_URL`: the GraphQL URL (or the server's base URL) @default http://127.0.0.1:4000/graphql
 * - `AUTOML_API_KEY`: the API key sent as a bearer token
 * Flags win over the environment.
 */
export interface ClientSettings {
  /** http(s)://host:port/graphql */
  url: string;
  apiKey: string | null;
  /** Whether the URL came from a flag or AUTOML_URL (the demo starts its own platform otherwise). */
  urlGiven: boolean;
}

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/** Accepts `host:port`, a base URL or the /graphql URL; returns the /graphql URL. */
export function normaliseUrl(raw: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw)} is not a URL (e.g. http://127.0.0.1:4000/graphql)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http:// or https:// URL (got ${url.protocol}//)`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString().replace(/\/$/, '');
}

export function readClientSettings(
  flags: { url?: string | undefined; 'api-key'?: string | undefined },
  env: Record<string, string | undefined>,
): ClientSettings {
  const rawUrl = flags.url ?? (env.AUTOML_URL || undefined);
  const apiKey = flags['api-key'] ?? (env.AUTOML_API_KEY || undefined) ?? null;
  if (apiKey !== null && apiKey.trim() === '') throw new UsageError('--api-key is empty');
  return {
    url: normaliseUrl(rawUrl ?? DEFAULT_URL),
    apiKey: apiKey?.trim() ?? null,
    urlGiven: rawUrl !== undefined,
  };
}

export { PIPELINE_NAME };

/** `name`, checked against the naming rule; `where` names its source in the usage error. */
export function checkPipelineName(name: string, where: string): string {
  if (!PIPELINE_NAME.test(name)) {
    throw new UsageError(
      `${where} ${JSON.stringify(name.slice(0, 80))} is not a pipeline name: 1 to 63 lowercase letters, digits, "-" and "_", starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * The pipeline a command works on: `--pipeline`, else the `AUTOML_PIPELINE` environment variable
 * (empty counts as unset), else "default".
 */
export function readPipeline(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag !== undefined) return checkPipelineName(flag, '--pipeline');
  const fromEnv = env.AUTOML_PIPELINE;
  if (fromEnv) return checkPipelineName(fromEnv, 'AUTOML_PIPELINE');
  return 'default';
}
