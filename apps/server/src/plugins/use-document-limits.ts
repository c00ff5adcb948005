import type { Config } from '@automl-stream/config';
import {
  type DocumentNode,
  GraphQLError,
  getOperationAST,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext, Principal } from '../context.ts';

/** Mutations that carry data: the only operations that may use a writer's large body. */
const BULK_FIELDS = new Set(['ingest', 'predict', 'submitFeedback']);

/** What the node handler tells the plugins about a request it admitted. */
export interface AdmittedRequest {
  principal?: Principal;
  /** Bytes of the request body (declared or counted). */
  bodyBytes?: number;
}

/** The query text's size in UTF-8 bytes, computed only when it could be over `limit`. */
function documentBytes(query: string, limit: number): number {
  return query.length * 3 <= limit ? query.length : Buffer.byteLength(query);
}

/** A refusal of the query text's size (HTTP 413), for HTTP and graphql-ws alike. */
export function documentTooLarge(query: unknown, limit: number): GraphQLError | null {
  if (typeof query !== 'string') return null;
  const bytes = documentBytes(query, limit);
  if (bytes <= limit) return null;
  return new GraphQLError(
    `the GraphQL document is ${bytes} bytes; the limit is ${limit} (GRAPHQL_MAX_DOCUMENT_BYTES): send data as variables, not in the query`,
    { extensions: { code: 'QUERY_TOO_LARGE', http: { status: 413 } } },
  );
}

/** The widest selection set of a document (fields, fragment spreads and inline fragments). */
function widestSelection(document: DocumentNode): number {
  let widest = 0;
  const walk = (set: SelectionSetNode | undefined) => {
    if (!set) return;
    widest = Math.max(widest, set.selections.length);
    for (const s of set.selections) if (s.kind !== Kind.FRAGMENT_SPREAD) walk(s.selectionSet);
  };
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) walk(d.selectionSet);
  }
  return widest;
}

/** Whether the operation only calls bulk mutations (ingest, predict, submitFeedback). */
function isBulkWrite(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'mutation') return false;
  return operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && BULK_FIELDS.has(s.name.value),
  );
}

/**
 * Limits on what one GraphQL document may cost before it runs:
 * - the query text is at most GRAPHQL_MAX_DOCUMENT_BYTES for every role (413 `QUERY_TOO_LARGE`),
 *   checked before parsing; data belongs in variables;
 * - no selection set holds more than GRAPHQL_MAX_SELECTIONS entries (`QUERY_TOO_COMPLEX`),
 *   checked after the (linear) parse and before validation, whose overlapping-fields rule is
 *   quadratic in repeated fields;
 * - a body larger than READER_BODY_LIMIT_BYTES is accepted only for ingest, predict and
 *   submitFeedback (413 `PAYLOAD_TOO_LARGE`), before variables are coerced;
 * - in production, introspection is for writer and admin keys only (the schema is public in the
 *   repository; a reader key, the kind that is handed out most, need not map it).
 */
export function useDocumentLimits(config: Config): Plugin<GraphQLContext & AdmittedRequest> {
  const { maxDocumentBytes, maxSelections, readerBodyLimitBytes } = config.security;
  const production = config.env === 'production';
  const checked = new WeakSet<DocumentNode>();

  const bulkOnly = (context: AdmittedRequest, document: DocumentNode, operationName?: string | null) => {
    const bytes = context.bodyBytes ?? 0;
    if (bytes <= readerBodyLimitBytes || isBulkWrite(document, operationName)) return null;
    return {
      errors: [
        new GraphQLError(
          `the body is ${bytes} bytes; only ingest, predict and submitFeedback may send more than ${readerBodyLimitBytes} (READER_BODY_LIMIT_BYTES)`,
          { extensions: { code: 'PAYLOAD_TOO_LARGE', http: { status: 413 } } },
        ),
      ],
    };
  };

  return {
    onParams({ params, setResult }) {
      const refusal = documentTooLarge(params.query, maxDocumentBytes);
      if (refusal) setResult({ errors: [refusal] });
    },
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (!result || result instanceof Error || checked.has(result as DocumentNode)) return;
        const widest = widestSelection(result as DocumentNode);
        if (widest > maxSelections) {
          replaceParseResult(
            new GraphQLError(
              production
                ? 'Selection set limit exceeded (GRAPHQL_MAX_SELECTIONS)'
                : `a selection set has ${widest} fields; the limit is ${maxSelections} (GRAPHQL_MAX_SELECTIONS)`,
              { extensions: { code: 'QUERY_TOO_COMPLEX' } },
            ),
          );
          return;
        }
        checked.add(result as DocumentNode);
      };
    },
    onValidate({ context, addValidationRule }) {
      if (production && context.principal?.role === 'reader') {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = bulkOnly(args.contextValue, args.document, args.operationName);
      if (refusal) setResultAndStopExecution(refusal);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = bulkOnly(args.contextValue, args.document, args.operationName);
      if (refusal) setResultAndStopExecution(refusal);
    },
  };
}
