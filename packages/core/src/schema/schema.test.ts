// The table schema, pure: inference from a first batch, records to numbers, evolution rules.

import { inferSchema } from '@automl-stream/table';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { applyCategoryCaps, fitCategoryCaps, modelRows, padRows } from './category-caps.ts';
import { encodeRecords, withAdditions } from './records.ts';
import { classNames, evolveSchema, parseSchema, positionalSchema } from './table-schema.ts';

const medical = [
  { age: '50', insulin: 'NA', smoker: 'y', sex: 'true', class: 'pos' },
  { age: 31, insulin: '94', smoker: 'n', sex: false, class: 'neg' },
  { age: '29', insulin: '', smoker: null, sex: 'false', class: 'neg' },
];
const options = { maxMagnitude: 1e12 };

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('inferSchema', () => {
  it('types columns from their values and keeps the classes as given', () => {
    const schema = inferSchema(medical, 'class');
    expect(schema.columns).toEqual([
      { name: 'age', type: 'numeric', nullable: true },
      { name: 'insulin', type: 'numeric', nullable: true },
      { name: 'smoker', type: 'categorical', nullable: true, categories: ['y', 'n'] },
      { name: 'sex', type: 'boolean', nullable: true },
    ]);
    expect(schema.label).toEqual({ name: 'class', kind: 'string', classes: ['pos', 'neg'] });
  });

  it('reads whole-number labels as integer classes, as the original pipeline sent them', () => {
    expect(
      inferSchema(
        [
          { a: 1, label: 2 },
          { a: 2, label: '0' },
        ],
        'label',
      ).label,
    ).toEqual({
      name: 'label',
      kind: 'integer',
      classes: [],
    });
  });

  it('reads codes beyond the class indices (100/200, -1/1) as named classes, not as 201 classes refused', () => {
    const labelOf = (labels: unknown[], maxClasses?: number) =>
      inferSchema(labels.map((label, a) => ({ a, label })) as never, 'label', null, maxClasses).label;
    expect(labelOf([100, 200, 100])).toEqual({ name: 'label', kind: 'string', classes: ['100', '200'] });
    expect(labelOf([-1, 1])).toEqual({ name: 'label', kind: 'string', classes: ['-1', '1'] });
    expect(labelOf([3, 8, 31])).toEqual({ name: 'label', kind: 'integer', classes: [] });
    expect(labelOf([3, 8, 32])).toEqual({ name: 'label', kind: 'string', classes: ['3', '8', '32'] });
    expect(labelOf([3, 8, 32], 50)).toEqual({ name: 'label', kind: 'integer', classes: [] });
  });
});

describe('encodeRecords', () => {
  const schema = inferSchema(medical, 'class');

  it('turns records into numbers: NaN for missing, codes for categories, indexes for classes', () => {
    const { features, labels } = encodeRecords(schema, medical, { ...options, mode: 'ingest' });
    expect(features[0]).toEqual([50, Number.NaN, 0, 1]);
    expect(features[1]).toEqual([31, 94, 1, 0]);
    expect(features[2]).toEqual([29, Number.NaN, Number.NaN, 0]);
    expect(labels).toEqual([0, 1, 1]);
  });

  it('collects new categories and classes on ingest, and counts unseen ones on predict', () => {
    const more = [{ age: 40, insulin: 1, smoker: 'former', sex: true, class: 'unsure' }];
    const ingest = encodeRecords(schema, more, { ...options, mode: 'ingest' });
    expect(ingest.features[0]![2]).toBe(2);
    expect(ingest.labels).toEqual([2]);
    const grown = withAdditions(schema, ingest.additions);
    expect(grown.columns[2]!.categories).toEqual(['y', 'n', 'former']);
    expect(grown.label.classes).toEqual(['pos', 'neg', 'unsure']);
    const predict = encodeRecords(schema, [{ age: 40, smoker: 'former' }], { ...options, mode: 'predict' });
    expect(predict.features[0]).toEqual([40, Number.NaN, -1, Number.NaN]);
    expect(predict.unseenCategories).toBe(1);
    expect(predict.labels).toBeNull();
  });

  it('names the column and the row of a value that does not fit', () => {
    const bad = refusal(() =>
      encodeRecords(schema, [{ ...medical[0], age: 'old' }], { ...options, mode: 'ingest' }),
    );
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toBe('records[0]: column "age" is numeric; "old" is not a number');
    const unknown = refusal(() =>
      encodeRecords(schema, [{ ...medical[0], bmi: 3 }], { ...options, mode: 'ingest' }),
    );
    expect(unknown.message).toMatch(/^column "bmi" \(records\[0\]\) is not in the schema/);
    const { insulin: _dropped, ...rest } = medical[0]!;
    const dropped = refusal(() => encodeRecords(schema, [rest], { ...options, mode: 'ingest' }));
    expect(dropped.message).toMatch(/^no record has column "insulin": columns cannot be dropped/);
  });

  it('stores a row whose class is missing without one, beside the labelled rows of its batch', () => {
    // Before, the batch was refused: "records[1] has no label but other records have one".
    const mixed = encodeRecords(schema, [medical[0]!, { ...medical[1], class: 'NA' }, medical[2]!], {
      ...options,
      mode: 'ingest',
    });
    expect(mixed.labels).toEqual([0, null, 1]);
    const none = encodeRecords(schema, [{ ...medical[0], class: null }], { ...options, mode: 'ingest' });
    expect(none.labels).toBeNull();
  });

  it('reads no class on predict, and names the columns no record carries', () => {
    const { insulin: _i, ...noInsulin } = medical[0]!;
    const encoded = encodeRecords(schema, [noInsulin, { ...noInsulin, class: 'never seen' }], {
      ...options,
      mode: 'predict',
    });
    expect(encoded.labels).toBeNull();
    expect(encoded.absentColumns).toEqual(['insulin']);
  });

  it('takes labels beside the records', () => {
    const records = medical.map(({ class: _c, ...r }) => r);
    const { labels } = encodeRecords(schema, records, {
      ...options,
      mode: 'ingest',
      labels: ['neg', 'neg', 'pos'],
    });
    expect(labels).toEqual([1, 1, 0]);
  });
});

describe('schema evolution', () => {
  const stored = parseSchema(
    {
      columns: [
        { name: 'a', type: 'numeric' },
        { name: 'c', type: 'categorical', categories: ['x'] },
      ],
      label: 'y',
    },
    100,
  );

  it('adds columns at the end and categories, keeping codes', () => {
    const next = parseSchema(
      {
        columns: [
          { name: 'a', type: 'numeric' },
          { name: 'c', type: 'categorical', categories: ['z', 'x'] },
          { name: 'd', type: 'boolean', nullable: false },
        ],
        label: { name: 'y', classes: ['yes'] },
      },
      100,
    );
    const evolved = evolveSchema(stored, next);
    expect(evolved.columns.map((c) => [c.name, c.nullable])).toEqual([
      ['a', true],
      ['c', true],
      ['d', true],
    ]);
    expect(evolved.columns[1]!.categories).toEqual(['x', 'z']);
    expect(evolved.label.classes).toEqual(['yes']);
  });

  it('refuses a type change, a dropped column and a moved one, naming the column', () => {
    const typed = refusal(() =>
      evolveSchema(
        stored,
        parseSchema(
          {
            columns: [
              { name: 'a', type: 'categorical' },
              { name: 'c', type: 'categorical' },
            ],
            label: 'y',
          },
          100,
        ),
      ),
    );
    expect(typed.message).toBe(
      'column "a" is numeric; it cannot become categorical (stored rows would change meaning)',
    );
    const dropped = refusal(() =>
      evolveSchema(stored, parseSchema({ columns: [{ name: 'a', type: 'numeric' }], label: 'y' }, 100)),
    );
    expect(dropped.message).toMatch(/^column "c" is in the stored schema but not in the new one/);
    const moved = refusal(() =>
      evolveSchema(
        stored,
        parseSchema(
          {
            columns: [
              { name: 'c', type: 'categorical' },
              { name: 'a', type: 'numeric' },
            ],
            label: 'y',
          },
          100,
        ),
      ),
    );
    expect(moved.message).toMatch(/^column "a" moved from position 1 to 2/);
  });

  it('refuses a schema a person got wrong, saying what to fix', () => {
    expect(
      refusal(() => parseSchema({ columns: [{ name: 'a', type: 'text' }], label: 'y' }, 100)).message,
    ).toBe('column "a": type must be numeric, categorical or boolean (got "text")');
    expect(
      refusal(() => parseSchema({ columns: [{ name: 'y', type: 'numeric' }], label: 'y' }, 100)).message,
    ).toMatch(/also listed as a feature/);
    // A whole ;-separated header read as one column: the name shown, and the separator named.
    const header = Array.from({ length: 20 }, (_, i) => `feature_${i}`).join(';');
    expect(
      refusal(() => parseSchema({ columns: [{ name: header, type: 'numeric' }], label: 'y' }, 100)).message,
    ).toBe(
      `schema.columns[0].name must be 1 to 100 printable characters (got ${header.length}: "feature_0;feature_1;feature_2;feature_3;…"); it holds ";": is this a whole header read as one column? Give the file's separator (ingest --delimiter)`,
    );
    expect(
      refusal(() => parseSchema({ columns: [{ name: 'a\u0007', type: 'numeric' }], label: 'y' }, 100))
        .message,
    ).toBe(
      'schema.columns[0].name must be 1 to 100 printable characters (got "a\\u0007", which holds a control character)',
    );
  });

  it('names the classes of the original pipeline 0..K-1', () => {
    expect(classNames(positionalSchema(3), 3)).toEqual(['0', '1', '2']);
  });
});

describe('category caps', () => {
  it('keeps the most frequent values, folds the rest into "other" and reads unseen ones as missing', () => {
    const rows = [5, 5, 5, 9, 9, 2, 7, 1, Number.NaN].map((v) => [0.5, v]);
    const caps = fitCategoryCaps(rows, [1], 3);
    expect(caps).toEqual([{ column: 1, kept: [5, 9], other: [1, 2, 7] }]);
    expect(
      applyCategoryCaps(
        [
          [0, 5],
          [0, 9],
          [0, 7],
          [0, 42],
          [0, Number.NaN],
        ],
        caps,
      ).map((r) => r[1]),
    ).toEqual([0, 1, 2, -1, Number.NaN]);
    expect(fitCategoryCaps(rows, [1], 10)).toEqual([]);
  });

  it('pads rows stored before a column was added, and cuts them for an older model', () => {
    const { rows, width } = padRows([
      [1, 2],
      [1, 2, 3],
    ]);
    expect(width).toBe(3);
    expect(rows[0]).toEqual([1, 2, Number.NaN]);
    expect(modelRows([[1, 2, 3]], 2, [])).toEqual([[1, 2]]);
  });
});

describe('the record parser under random input', () => {
  it('answers every record with numbers (NaN for missing) or a BAD_USER_INPUT naming a row, never anything else', () => {
    const cell = fc.oneof(
      fc.double({ noNaN: false }),
      fc.integer(),
      fc.string({ maxLength: 6 }),
      fc.constantFrom('NA', '', '?', 'true', 'false', 'y', 'n', '1e3', ' 7 ', 'NaN', 'Infinity'),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.array(fc.integer(), { maxLength: 2 }) as fc.Arbitrary<never>,
    );
    const record = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'class', 'zz'), cell, { maxKeys: 5 });
    const schema = parseSchema(
      {
        columns: [
          { name: 'a', type: 'numeric' },
          { name: 'b', type: 'categorical', categories: ['x', 'y'] },
          { name: 'c', type: 'boolean', nullable: false },
        ],
        label: 'class',
      },
      100,
    );
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('ingest', 'predict'),
        (records, mode) => {
          try {
            const out = encodeRecords(schema, records, { mode: mode as 'ingest', maxMagnitude: 1e12 });
            expect(out.features).toHaveLength(records.length);
            for (const row of out.features) {
              expect(row).toHaveLength(3);
              for (const v of row) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true);
              expect(Number.isNaN(row[2]!)).toBe(false);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).code).toBe('BAD_USER_INPUT');
            expect((error as DomainError).message).toMatch(/records\[\d+\]|column "/);
          }
        },
      ),
      { numRuns: 2000, seed: 14 },
    );
  });
});

describe('a closed set of classes', () => {
  it('refuses a label the declared classes do not have, naming the row', () => {
    const schema = parseSchema(
      {
        columns: [{ name: 'a', type: 'numeric' }],
        label: { name: 'y', classes: ['pos', 'neg'], closed: true },
      },
      100,
    );
    expect(
      encodeRecords(schema, [{ a: 1, y: 'neg' }], { maxMagnitude: 1e12, mode: 'ingest' }).labels,
    ).toEqual([1]);
    expect(
      refusal(() =>
        encodeRecords(
          schema,
          [
            { a: 1, y: 'pos' },
            { a: 2, y: 'maybe' },
          ],
          { maxMagnitude: 1e12, mode: 'ingest' },
        ),
      ).message,
    ).toBe('records[1]: "maybe" is not one of the declared classes of "y" (pos, neg)');
    expect(
      refusal(() =>
        parseSchema({ columns: [{ name: 'a', type: 'numeric' }], label: { name: 'y', closed: true } }, 100),
      ).message,
    ).toMatch(/closed needs the named classes/);
  });
});
