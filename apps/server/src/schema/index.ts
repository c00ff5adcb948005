import { builder } from '../builder.ts';
import './config.ts';
import './data.ts';
import './drift.ts';
import './events.ts';
import './model.ts';
import './pipelines.ts';
import './stats.ts';
import './table.ts';
import './training.ts';

export function toSchema() {
  return builder.toSchema({ sortSchema: true });
}
