import { describe, expect, it } from 'vitest';
import { categoriesText } from './commands/pipelines.ts';
import { formatTable } from './output.ts';

describe('formatTable', () => {
  it('lays out a header, a rule and the rows, two spaces apart, numbers to the right', () => {
    expect(
      formatTable(
        ['version', 'status', 'accuracy', 'rows'],
        [
          ['* v1', 'production', '0.912', 1200],
          ['v2', 'rejected', null, 80],
        ],
        ['left', 'left', 'right'],
      ),
    ).toBe(
      [
        'version  status      accuracy  rows',
        '-------  ----------  --------  ----',
        '* v1     production     0.912  1200',
        'v2       rejected           -    80',
        '',
      ].join('\n'),
    );
  });

  it('measures wide characters by the columns they take on a terminal, and leaves no trailing spaces', () => {
    const text = formatTable(
      ['name', 'role'],
      [
        ['ダッシュボード', 'reader'],
        ['ci', 'admin'],
      ],
    );
    expect(text).toBe(
      [
        'name            role',
        '--------------  ------',
        'ダッシュボード  reader',
        'ci              admin',
        '',
      ].join('\n'),
    );
  });
});

describe('categoriesText (pipelines show)', () => {
  it('lists a few categories in full and cuts a column of hundreds (a name per car) to its first ones', () => {
    expect(categoriesText([])).toBeNull();
    expect(categoriesText(['de', 'fr', 'it'])).toBe('de, fr, it');
    const names = Array.from({ length: 301 }, (_, i) => `car ${i}`);
    expect(categoriesText(names, 3)).toBe('car 0, car 1, car 2, … (301 in all; --json lists them)');
    expect(categoriesText(names)!.split(', ')).toHaveLength(13);
  });
});
