import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '@automl-stream/core';
import { normalizedExecutor } from '@graphql-tools/executor';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  visit,
} from 'graphql';
import { type Principal, requestContext } from './context.ts';
import { type DirectPlan, planDirectRows, prepareDirectRows, runDirectRows } from './direct-rows.ts';
import { maskError, withCode } from './errors.ts';
import type { ServerMetrics } from './metrics.ts';
import { operationLabel } from './operation-names.ts';

/** The mutations that carry rows: the only documents answered here. */
const HOT_FIELDS = new Set(['ingest', 'predict', 'submitFeedback']);
/** Yoga's message for a masked error. */
const MASKED = 'Unexpected error.';
/** Documents remembered; a client sends a handful, so more than this means ad-hoc documents. */
const MAX_PLANS = 256;
/** The body keys Yoga reads; any other key (extensions, a typo) goes to Yoga, which refuses it. */
const PARAM_KEYS = new Set(['query', 'variables', 'operationName']);
/** The `Accept` headers answered here, and the media type Yoga answers each with. */
const MEDIA_TYPES = new Map<string | undefined, string>([
  [undefined, 'application/json'],
  ['*/*', 'application/json'],
  ['application/json', 'application/json'],
  ['application/graphql-response+json', 'application/graphql-response+json'],
]);

interface Plan {
  document: DocumentNode;
  /** The operation's metric label (a known name or `other`). */
  label: string;
  /** Set when a plain `predict` or `ingest` can be answered without the executor (direct-rows.ts). */
  direct: DirectPlan | null;
}

interface GraphQLParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

export interface FastOperationsDeps {
  platform: Platform;
  schema: GraphQLSchema;
  metrics: ServerMetrics;
  /** List items the document may produce without `limit` arguments (list-cost.ts), and the cap. */
  listItems: (document: DocumentNode) => number;
  maxListItems: number;
}

/**
 * Answers the row-carrying mutations (ingest, predict, submitFeedback) of documents Yoga has
 * already admitted, without Yoga's request pipeline: the node handler has authenticated,
 * rate-limited and read the body; the document was parsed, limited and validated when Yoga ran it
 * first (its plugins learn it here); what depends on the request is done here exactly as Yoga's
 * plugins do it: the same executor, variable coercion and resolvers, the same error codes and
 * masking, the same status, headers and body (held to Yoga's answers by fast-operations tests).
 * Anything else (a new document, other operations, browsers' CORS requests, other media types)
 * goes to Yoga.
 */
export class FastOperations {
  private readonly plans = new Map<string, Plan>();
  /** Requests answered here since the start, and of them without the executor. */
  answered = 0;
  answeredDirect = 0;

  constructor(private readonly deps: FastOperationsDeps) {}

  /** Remembers a document Yoga admitted to execution, when it is one answered here. */
  learn(params: GraphQLParams, document: DocumentNode): void {
    if (this.plans.size >= MAX_PLANS || typeof params.query !== 'string') return;
    const key = planKey(params.query, params.operationName);
    if (this.plans.has(key) || !isHotDocument(document, params.operationName)) return;
    if (this.deps.listItems(document) > this.deps.maxListItems) return;
    const operation = getOperationAST(document, params.operationName);
    this.plans.set(key, {
      document,
      label: operationLabel(operation?.name?.value),
      direct: planDirectRows(document, params.operationName),
    });
  }

  /** Answers the request when its document was learned; false: Yoga answers it. */
  answer(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    requestId: string,
    body: unknown,
  ): boolean {
    const mediaType = MEDIA_TYPES.get(req.headers.accept);
    if (!mediaType || req.headers.origin !== undefined || req.url !== '/graphql') return false;
    const params = graphqlParams(body);
    const plan = params && this.plans.get(planKey(params.query, params.operationName));
    if (!params || !plan) return false;
    this.answered++;
    this.run(res, plan, params, { principal, requestId }, mediaType).catch((error: unknown) => {
      this.deps.platform.logger.error({ err: error, requestId }, 'answering a row operation failed');
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': `${mediaType}; charset=utf-8` });
      res.end(
        JSON.stringify({
          errors: [{ message: MASKED, extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        }),
      );
    });
    return true;
  }

  private async run(
    res: ServerResponse,
    plan: Plan,
    params: GraphQLParams,
    who: { principal: Principal; requestId: string },
    mediaType: string,
  ): Promise<void> {
    const contextValue = requestContext(this.deps.platform, who.principal, who.requestId);
    const direct = plan.direct && prepareDirectRows(plan.direct, params.variables, who.principal);
    let result: ExecutionResult;
    try {
      if (direct) this.answeredDirect++;
      result = direct
        ? await runDirectRows(plan.direct!, direct, contextValue)
        : ((await normalizedExecutor({
            schema: this.deps.schema,
            document: plan.document,
            variableValues: params.variables ?? undefined,
            operationName: params.operationName ?? undefined,
            contextValue,
          })) as ExecutionResult);
    } catch (error) {
      result = { errors: [maskError(error, MASKED, false) as GraphQLError] };
    }
    const errors = result.errors?.map(
      (e) => maskError(e.path ? e : withCode(e, 'BAD_USER_INPUT'), MASKED, false) as GraphQLError,
    );
    const failed = errors !== undefined && errors.length > 0;
    this.deps.metrics.graphqlOperations.inc({
      type: 'mutation',
      name: plan.label,
      outcome: failed ? 'error' : 'ok',
    });
    const { status, headers } = responseInit(errors, mediaType, 'data' in result);
    const json = JSON.stringify(errors ? { ...result, errors: errors.map(withoutInternals) } : result);
    res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(json) });
    res.end(json);
  }
}

function planKey(query: string, operationName: string | null | undefined): string {
  return `${operationName ?? ''}\n${query}`;
}

/** The body as GraphQL parameters Yoga would take without a remark, or null. */
function graphqlParams(body: unknown): GraphQLParams | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const params = body as Record<string, unknown>;
  for (const key in params) if (!PARAM_KEYS.has(key)) return null;
  const { query, variables, operationName } = params;
  if (typeof query !== 'string') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  const plainVariables =
    variables === undefined ||
    variables === null ||
    (typeof variables === 'object' && !Array.isArray(variables));
  return plainVariables ? (params as unknown as GraphQLParams) : null;
}

/** A mutation of row-carrying fields only, without directives (no @defer or @stream streams). */
function isHotDocument(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return false;
  const hot = operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && HOT_FIELDS.has(s.name.value),
  );
  let plain = true;
  visit(document, {
    Directive() {
      plain = false;
    },
    Argument(node) {
      if (node.name.value === 'limit') plain = false;
    },
  });
  return hot && plain;
}

/** Yoga's status and headers for a result (graphql-yoga's getResponseInitByRespectingErrors). */
function responseInit(
  errors: readonly GraphQLError[] | undefined,
  mediaType: string,
  hasData: boolean,
): { status: number; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': `${mediaType}; charset=utf-8` };
  let status = 0;
  let unexpected = false;
  for (const error of errors ?? []) {
    const http = error.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
    if (!http) {
      unexpected ||= !isOriginalGraphQLError(error) || Boolean(error.extensions?.unexpected);
      continue;
    }
    if (http.headers) Object.assign(headers, http.headers);
    if (http.status && http.status > status) status = http.status;
  }
  return { status: status || (unexpected && !hasData ? 500 : 200), headers };
}

/** A GraphQL error raised as one (not wrapping another kind of error). */
function isOriginalGraphQLError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null || isOriginalGraphQLError(error.originalError);
}

/** An error as Yoga serialises it: without the `http` and `unexpected` extensions. */
function withoutInternals(error: GraphQLError): unknown {
  const json = error.toJSON();
  if (!json.extensions) return json;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions;
  const { extensions: _all, ...rest } = json;
  return Object.keys(extensions).length ? { ...rest, extensions } : rest;
}
