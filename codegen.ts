// graphql-codegen: typed documents for packages/sdk from the committed SDL (`pnpm codegen`).
// Reads apps/server/schema.graphql (written by `pnpm schema:print`), never a live server, so the
// generated files depend only on committed text; packages/sdk/test/codegen.test.ts fails when they
// are stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

/** Where the generated files go; the freshness test points a copy of this config elsewhere. */
export const sdkGeneratedDir = 'packages/sdk/src/gql/';

const config: CodegenConfig = {
  schema: 'apps/server/schema.graphql',
  // One file per domain (data, schema, models, drift, training, stats, events, config) plus the
  // dashboard's own `dashboard-*.graphql`; every operation becomes an exported `<Name>Document`.
  documents: ['packages/sdk/src/documents/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [sdkGeneratedDir]: {
      preset: 'client',
      // Plain objects instead of masked fragment refs: the SDK's callers read fields directly.
      presetConfig: { fragmentMasking: false },
      config: {
        // NodeNext + allowImportingTsExtensions: relative imports name the .ts file.
        importExtension: '.ts',
        useTypeImports: true,
        // String unions instead of TS enums: no runtime code, and `'PRODUCTION'` reads as itself.
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
        defaultScalarType: 'unknown',
        // Apollo's cache adds __typename to selections; the Node client does not ask for it.
        skipTypename: true,
      },
    },
  },
};

export default config;
