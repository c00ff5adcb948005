import type { Plugin } from 'graphql-yoga';
import { withCode } from '../errors.ts';

/**
 * graphql-js reports bad documents and variables without a code; give them one, so every error a
 * client sees has `extensions.code`.
 */
export function useErrorCodes(): Plugin {
  return {
    onValidate:
      () =>
      ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      },
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (!('errors' in result) || !result.errors?.length) return;
        // Errors outside any field (no path) are request errors: variables that do not coerce.
        setResult({
          ...result,
          errors: result.errors.map((e) => (e.path ? e : withCode(e, 'BAD_USER_INPUT'))),
        });
      },
    }),
  };
}
