import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Items assumed for a list without a `limit` (a drift check's features, a page without one). */
export const UNBOUNDED_LIST_ITEMS = 20;
/** `limit` when a query leaves it out (the resolvers' defaults). */
const DEFAULT_LIMIT: Record<string, number> = { accuracySeries: 200 };
const FALLBACK_LIMIT = 50;

type Variables = Record<string, unknown> | null | undefined;

function limitOf(field: FieldNode, variables: Variables): number | null {
  const arg = field.arguments?.find((a) => a.name.value === 'limit');
  if (!arg) return null;
  const value: ValueNode = arg.value;
  const raw =
    value.kind === Kind.VARIABLE
      ? variables?.[value.name.value]
      : value.kind === Kind.INT
        ? Number(value.value)
        : null;
  return typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? raw : null;
}

/**
 * List items a GraphQL operation may produce: each list's `limit` (or its default) multiplied by
 * the items of every list above it, summed over the document (aliases count as the fields they
 * repeat). A `limit` on a field that returns a page applies to the list directly inside it.
 * graphql-armor's cost counts AST nodes, so `driftEvents(limit: 500) { items { ... } }` cost as
 * much as `limit: 1` (security audit M4).
 */
export function listItems(schema: GraphQLSchema, document: DocumentNode, variables: Variables): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const walk = (
    set: SelectionSetNode,
    type: GraphQLCompositeType,
    multiplier: number,
    pageLimit: number | null,
    seen: Set<string>,
  ): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const inner = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (inner && isCompositeType(inner))
          total += walk(selection.selectionSet, inner, multiplier, pageLimit, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const inner = fragment && schema.getType(fragment.typeCondition.name.value);
        // A fragment spread inside itself is a validation error; do not loop on it here.
        if (!fragment || !inner || !isCompositeType(inner) || seen.has(fragment.name.value)) continue;
        total += walk(
          fragment.selectionSet,
          inner,
          multiplier,
          pageLimit,
          new Set([...seen, fragment.name.value]),
        );
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const definition = type.getFields()[selection.name.value];
      if (!definition) continue;
      const named = getNamedType(definition.type);
      if (!isCompositeType(named) || !selection.selectionSet) continue;
      const limit = limitOf(selection, variables);
      if (isListType(getNullableType(definition.type))) {
        const n =
          limit ?? pageLimit ?? (multiplier === 1 ? (DEFAULT_LIMIT[selection.name.value] ?? null) : null);
        const items = multiplier * (n ?? UNBOUNDED_LIST_ITEMS);
        total += items + walk(selection.selectionSet, named, items, null, seen);
      } else {
        // A page: its limit (or the default) sizes the list inside it.
        const paged = definition.args.some((a) => a.name === 'limit');
        total += walk(
          selection.selectionSet,
          named,
          multiplier,
          paged ? (limit ?? FALLBACK_LIMIT) : null,
          seen,
        );
      }
    }
    return total;
  };
  let total = 0;
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const root =
      d.operation === 'query'
        ? schema.getQueryType()
        : d.operation === 'mutation'
          ? schema.getMutationType()
          : schema.getSubscriptionType();
    if (root) total += walk(d.selectionSet, root, 1, null, new Set());
  }
  return total;
}

/**
 * Refuses an operation whose list items exceed `maxItems` (GRAPHQL_MAX_LIST_ITEMS) before it
 * runs: with QUERY_TOO_COMPLEX, numbers hidden in production like graphql-armor's limits.
 */
export function listCostPlugin(maxItems: number, production: boolean): Plugin {
  const refuse = (items: number) =>
    new GraphQLError(
      production
        ? 'List size limit exceeded (GRAPHQL_MAX_LIST_ITEMS)'
        : `This operation may return ${items} list items (each list's limit times the items above it); the limit is ${maxItems} (GRAPHQL_MAX_LIST_ITEMS): ask for smaller pages or fewer aliases`,
      { extensions: { code: 'QUERY_TOO_COMPLEX' } },
    );
  const check = (args: { schema: GraphQLSchema; document: DocumentNode; variableValues?: Variables }) => {
    const items = listItems(args.schema, args.document, args.variableValues);
    return items > maxItems ? refuse(items) : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
