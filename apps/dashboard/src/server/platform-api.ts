/**
 * The dashboard server's calls to the platform's /graphql: verifying a key at sign-in, checking
 * the read-only display key's role at start, and forwarding the pages' operations.
 */

/** What the platform said about a key. */
export type KeyVerdict =
  | { kind: 'accepted' }
  | { kind: 'refused'; message: string }
  | { kind: 'unreachable'; message: string };

/** What the role probe found out about the display key. */
export type RoleVerdict =
  | { kind: 'reader' }
  | { kind: 'above-reader' }
  | { kind: 'refused'; message: string }
  | { kind: 'unreachable'; message: string };

interface GraphQLAnswer {
  data?: unknown;
  errors?: { message?: string; extensions?: { code?: string } }[];
}

/** How long a call to the platform may take before the dashboard gives up on it. */
const UPSTREAM_TIMEOUT_MS = 30_000;

export class PlatformApi {
  constructor(
    readonly graphqlUrl: URL,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The platform's /graphql as a WebSocket URL (ws:// for http://, wss:// for https://). */
  get webSocketUrl(): string {
    const url = new URL(this.graphqlUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  /**
   * Forwards a GraphQL request body with the session's key. The answer (status, body, type) goes
   * back to the page as it is.
   */
  forward(body: Buffer, key: string | null, accept: string | undefined): Promise<Response> {
    return this.fetchImpl(this.graphqlUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: accept ?? 'application/graphql-response+json, application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
  }

  /**
   * Whether the platform accepts `key` (null: no key, for a platform running with AUTH=off).
   * One cheap authenticated request: the platform authenticates before it parses.
   */
  async verifyKey(key: string | null): Promise<KeyVerdict> {
    const answer = await this.post('query DashboardSignIn { __typename }', key);
    if ('unreachable' in answer) return { kind: 'unreachable', message: answer.unreachable };
    const error = answer.body.errors?.[0];
    if (!error && answer.status === 200) return { kind: 'accepted' };
    if (error?.extensions?.code === 'UNAUTHENTICATED' || answer.status === 401)
      return { kind: 'refused', message: error?.message ?? 'the key was refused' };
    return {
      kind: 'unreachable',
      message: `the platform answered HTTP ${answer.status}${error?.message ? `: ${error.message}` : ''}`,
    };
  }

  /**
   * Whether `key` is a reader key. The API has no query that tells a key its role, so this asks
   * for a writer operation that cannot store anything: an ingest of no rows. A reader key gets
   * FORBIDDEN (roles are checked before anything else); a writer or admin key gets past the role
   * check to the input validation (BAD_USER_INPUT: empty batch); any other answer counts as
   * "above reader", so the check fails closed.
   */
  async checkReaderRole(key: string): Promise<RoleVerdict> {
    const answer = await this.post(
      'mutation DashboardRoleProbe { ingest(input: { features: [] }) { rowsStored } }',
      key,
    );
    if ('unreachable' in answer) return { kind: 'unreachable', message: answer.unreachable };
    const error = answer.body.errors?.[0];
    const code = error?.extensions?.code;
    if (code === 'UNAUTHENTICATED' || answer.status === 401)
      return { kind: 'refused', message: error?.message ?? 'the key was refused' };
    if (code === 'FORBIDDEN') return { kind: 'reader' };
    if (answer.status >= 500 || code === 'RATE_LIMITED' || code === 'UNAVAILABLE')
      return {
        kind: 'unreachable',
        message: `the platform answered HTTP ${answer.status}: ${error?.message ?? ''}`,
      };
    return { kind: 'above-reader' };
  }

  private async post(
    query: string,
    key: string | null,
  ): Promise<{ status: number; body: GraphQLAnswer } | { unreachable: string }> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ query }),
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
    } catch (error) {
      return { unreachable: `cannot reach the platform at ${this.graphqlUrl}: ${describe(error)}` };
    }
    try {
      return { status: response.status, body: (await response.json()) as GraphQLAnswer };
    } catch {
      return {
        unreachable: `the platform at ${this.graphqlUrl} answered HTTP ${response.status} without GraphQL JSON`,
      };
    }
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
