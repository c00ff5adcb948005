import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.ts';
import type { ServerMetrics } from '../metrics.ts';
import { operationLabel } from '../operation-names.ts';

/**
 * Counts operations by type, name and outcome. Names are the known operation names or `other`: a
 * label value per client-chosen name would be a time series per name, held forever. (Rows and
 * predictions are counted where they are stored: ServerMetrics follows the data service.)
 */
export function useOperationMetrics(metrics: ServerMetrics): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const op = (args.document as DocumentNode).definitions.find((d) => d.kind === 'OperationDefinition');
      const type = op && 'operation' in op ? op.operation : 'unknown';
      const name = operationLabel(op && 'name' in op ? op.name?.value : undefined);
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.graphqlOperations.inc({ type, name, outcome: failed ? 'error' : 'ok' });
        },
      };
    },
  };
}
