import { PromoteModelDocument, RollbackModelDocument } from '@automl-stream/sdk/node.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../errors.ts';
import { fixed, printJson } from '../output.ts';

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'serve a given model version now (admin key)',
  usage: 'promote <version> [--json]',
  details: 'Every server replica swaps to the version without dropping a request. Accepts 3 or v3.',
  options: {},
  arguments: ['<version>'],
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ positionals, client, pipeline, json, io }) {
    const raw = positionals[0]!;
    const version = Number(raw.replace(/^v/i, ''));
    if (!Number.isInteger(version) || version < 1) {
      throw new UsageError(`<version> must be a model version such as 3 or v3 (got ${JSON.stringify(raw)})`);
    }
    const { promoteModel } = await client().request(PromoteModelDocument, { pipeline, version });
    if (json) {
      printJson(promoteModel, io.stdout);
      return;
    }
    io.stdout.write(
      `v${promoteModel.version} is serving now (out-of-sample accuracy ${fixed(promoteModel.metrics.accuracy)})\n`,
    );
  },
};

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'go back to the version that served before the current one (admin key)',
  usage: 'rollback [--json]',
  options: {},
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ client, pipeline, json, io }) {
    const { rollbackModel } = await client().request(RollbackModelDocument, { pipeline });
    if (json) {
      printJson(rollbackModel, io.stdout);
      return;
    }
    io.stdout.write(
      `v${rollbackModel.version} is serving again (out-of-sample accuracy ${fixed(rollbackModel.metrics.accuracy)})\n`,
    );
  },
};
