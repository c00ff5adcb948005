// Writes the SDL of the GraphQL schema to apps/server/schema.graphql (codegen reads this file).
import { writeFileSync } from 'node:fs';
import { printSchemaFile, schemaFilePath } from '../src/schema-file.ts';

writeFileSync(schemaFilePath, printSchemaFile());
process.stdout.write(`wrote ${schemaFilePath}\n`);
