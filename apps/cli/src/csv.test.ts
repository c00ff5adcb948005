import { describe, expect, it } from 'vitest';
import { CsvError, type CsvItem, csvLines, readCsv } from './csv.ts';
import { readTable, type TableItem, type TableLayout } from './numeric-table.ts';

async function* chunks(...parts: (string | Buffer)[]) {
  yield* parts;
}

/** `text` as UTF-8 buffers of `size` bytes (1 = byte by byte), as a file stream would give it. */
function split(text: string, size: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function items(parts: string | (string | Buffer)[], options: Parameters<typeof readCsv>[1] = {}) {
  const out: CsvItem[] = [];
  for await (const item of readCsv(typeof parts === 'string' ? chunks(parts) : chunks(...parts), options))
    out.push(item);
  return out;
}

/** Header and records as `[line, values]` pairs, bad records as `[line, 'bad']`. */
async function lines(parts: string | (string | Buffer)[], options: Parameters<typeof readCsv>[1] = {}) {
  return (await items(parts, options)).map((item) =>
    item.kind === 'header'
      ? [item.line, item.columns]
      : item.kind === 'record'
        ? [item.record.line, item.record.values]
        : [item.error.line, 'bad'],
  );
}

async function failure(parts: string | (string | Buffer)[]) {
  try {
    await items(parts);
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error');
}

async function table(text: string | Buffer[], options: Parameters<typeof readTable>[1] = {}) {
  const out: TableItem[] = [];
  for await (const item of readTable(typeof text === 'string' ? chunks(text) : chunks(...text), options))
    out.push(item);
  return out;
}

describe('readCsv', () => {
  it('reads the header and the records with the line each starts on', async () => {
    expect(await lines('a,b,c\n1,2,3\n4,5,6\n')).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2', '3']],
      [3, ['4', '5', '6']],
    ]);
  });

  it('keeps the last record without a final line break; empty values are missing', async () => {
    expect(await lines('x,y,z\nx,,z\n,,')).toEqual([
      [1, ['x', 'y', 'z']],
      [2, ['x', null, 'z']],
      [3, [null, null, null]],
    ]);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks, counting lines inside quotes', async () => {
    const text = 'name,note\n"Smith, J","said ""hi"""\n"multi\nline",x\nlast,"a\r\nb"\nend,1\n';
    const expected = [
      [1, ['name', 'note']],
      [2, ['Smith, J', 'said "hi"']],
      [3, ['multi\nline', 'x']],
      [5, ['last', 'a\r\nb']],
      [7, ['end', '1']],
    ];
    expect(await lines(text)).toEqual(expected);
    // The same whatever the chunk boundaries (quotes, "" pairs and CRLF split across chunks).
    for (const size of [1, 2, 3, 5, 7]) expect(await lines(split(text, size))).toEqual(expected);
  });

  it('treats CRLF, LF and lone CR as line ends, even mixed, and skips blank lines', async () => {
    const text = 'a,b\r\n1,2\r\n\r\n3,4\r5,6\n\n  \n7,8\r\n';
    const expected = [
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [4, ['3', '4']],
      [5, ['5', '6']],
      [8, ['7', '8']],
    ];
    expect(await lines(text)).toEqual(expected);
    expect(await lines(split(text, 1))).toEqual(expected);
  });

  it('drops a UTF-8 byte-order mark, also when it arrives byte by byte', async () => {
    expect(await lines('\uFEFFa,b\n1,2')).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
    ]);
    expect(await lines(split('\uFEFFa,b\n1,2', 1))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
    ]);
  });

  it('reads the missing-value tokens as null, unquoted or quoted, and takes other tokens', async () => {
    expect(await lines('a,b,c\n NA ,NaN,null\n?,"NA", \nna,N/A,None\nNone?,0,"x y"\n')).toEqual([
      [1, ['a', 'b', 'c']],
      [2, [null, null, null]],
      [3, [null, null, null]],
      [4, [null, null, null]],
      [5, ['None?', '0', 'x y']],
    ]);
    expect(await lines('a,b\n-,NA\n', { missingValues: ['-'] })).toEqual([
      [1, ['a', 'b']],
      [2, [null, 'NA']],
    ]);
  });

  it('names the header problems', async () => {
    await expect(items('a,a\n1,2\n')).rejects.toThrow(
      new CsvError(1, 'the header names column "a" twice (columns 1 and 2)'),
    );
    await expect(items(['\n\n', 'a,b,a\n1,2,3\n'])).rejects.toThrow(
      'line 3: the header names column "a" twice (columns 1 and 3)',
    );
    await expect(items('\n \n')).rejects.toThrow('line 1: the file is empty');
    await expect(items('')).rejects.toThrow('line 1: the file is empty');
  });

  it('yields a record with the wrong number of fields as bad, and reads on', async () => {
    expect(await lines('a,b\n1\n1,2,3\n4,5\n')).toEqual([
      [1, ['a', 'b']],
      [2, 'bad'],
      [3, 'bad'],
      [4, ['4', '5']],
    ]);
    const [, bad] = await items('a,b\n1\n');
    expect(bad).toEqual({ kind: 'bad', error: new CsvError(2, '1 fields; the header has 2 columns') });
  });

  it('rejects broken quoting with the line and column', async () => {
    const open = await failure('a,b\n1,2\n"open,3\n4,5\n');
    expect(open).toBeInstanceOf(CsvError);
    expect(open.message).toBe('line 3: a quoted field is not closed before the end of the file');
    expect((await failure('a,b\n1,2\n3,4"5\n')).message).toBe(
      'line 3: a quote inside an unquoted value (column "b"): quote the whole value and write a quote inside it as ""',
    );
    expect((await failure('a,b\n"x\ny"z,1\n')).message).toMatch(
      /^line 3: unexpected "z" after a closing quote \(column "a"\)/,
    );
    // A CRLF inside quotes earlier in the file is one line, not two.
    expect((await failure('a,b\n"x\r\ny",1\n"p"q,1\n')).message).toMatch(/^line 4: unexpected "q"/);
    expect(((await failure('a\n"b"c')) as CsvError).line).toBe(2);
    // Exact far into a chunk, and in a later chunk, with the records before the error read first.
    const rows = Array.from({ length: 1000 }, (_, i) => `${i},${i}\n`).join('');
    expect((await failure(`a,b\n${rows}"open,3\n4,5\n`)).message).toBe(
      'line 1002: a quoted field is not closed before the end of the file',
    );
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readCsv(chunks('a,b\n1,2\n', '3,4\n5,6"7\n8,9\n')))
          if (item.kind === 'record') seen.push(item.record.line);
      })(),
    ).rejects.toThrow(/^line 4: a quote inside an unquoted value \(column "b"\)/);
    expect(seen).toEqual([2, 3]);
  });

  it('supports another delimiter and refuses impossible ones', async () => {
    expect(await lines('a;b\n"1;2";3\n', { delimiter: ';' })).toEqual([
      [1, ['a', 'b']],
      [2, ['1;2', '3']],
    ]);
    expect(await lines('a\tb\n1\t2\n', { delimiter: '\t' })).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
    ]);
    await expect(items('a,b\n', { delimiter: '"' })).rejects.toThrow(/delimiter must be one character/);
    await expect(items('a,b\n', { delimiter: ',,' })).rejects.toThrow(/delimiter must be one character/);
  });

  it('decodes UTF-8 split across buffers and refuses other encodings', async () => {
    const bytes = Buffer.from('name\nZürich\n', 'utf8');
    const at = bytes.indexOf(0xc3) + 1; // between the two bytes of ü
    expect(await lines([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([
      [1, ['name']],
      [2, ['Zürich']],
    ]);
    await expect(items([Buffer.from('name\nZ\xfcrich\n', 'latin1')])).rejects.toThrow(
      'the file is not valid UTF-8 text: save it as UTF-8 CSV',
    );
    await expect(items([bytes.subarray(0, at)])).rejects.toThrow(
      /not valid UTF-8 text \(it ends inside a character\)/,
    );
  });

  it('reads UTF-16LE after its byte-order mark (Excel\'s "Unicode text", tab-separated)', async () => {
    const utf16 = Buffer.from('\uFEFFname\tnote\r\nZürich\t"a\tb"\r\n', 'utf16le');
    expect(await lines([utf16.subarray(0, 7), utf16.subarray(7)], { delimiter: '\t' })).toEqual([
      [1, ['name', 'note']],
      [2, ['Zürich', 'a\tb']],
    ]);
  });
});

describe('csvLines', () => {
  it('writes rows, quoting only what needs it, and reads back the same', async () => {
    const rows = [
      ['a,b', 'say "x"', 'two\r\nlines', 'cr\ronly', 'plain'],
      ['1', '0.25', '', ' padded ', 'x'],
    ];
    const text = await csvLines([...rows, [3, 0.5, null, 'y', 'z']]);
    expect(text).toBe('"a,b","say ""x""","two\r\nlines","cr\ronly",plain\n1,0.25,, padded ,x\n3,0.5,,y,z\n');
    expect((await lines(text, { missingValues: [] })).slice(0, 2).map(([, values]) => values)).toEqual(rows);
    expect(await csvLines([['a;b', 'c,d']], ';')).toBe('"a;b";c,d\n');
  });
});

describe('readTable', () => {
  it('takes the label column when the header has one, every other column as a feature', async () => {
    let layout: TableLayout | undefined;
    const rows = await table('x0,label,x1\n1.5,0,2\n-3e2, 1 ,0.5\n', {
      onLayout: (l) => {
        layout = l;
      },
    });
    expect(layout?.labelColumn).toBe('label');
    expect(layout?.featureColumns).toEqual(['x0', 'x1']);
    expect(rows).toEqual([
      { kind: 'row', row: { features: [1.5, 2], label: 0, line: 2, values: ['1.5', '0', '2'] } },
      { kind: 'row', row: { features: [-300, 0.5], label: 1, line: 3, values: ['-3e2', ' 1 ', '0.5'] } },
    ]);
  });

  it('uses --label-column, or no label column at all', async () => {
    const withY = await table('a,b,y\n1,2,1\n', { labelColumn: 'y' });
    expect(withY).toEqual([
      { kind: 'row', row: { features: [1, 2], label: 1, line: 2, values: ['1', '2', '1'] } },
    ]);
    const unlabelled = await table('a,label\n1,2\n', { labelColumn: null });
    expect(unlabelled[0]).toMatchObject({ row: { features: [1, 2], label: null } });
    await expect(table('a,b\n1,2\n', { labelColumn: 'class' })).rejects.toThrow(
      'line 1: the header has no column "class" for --label-column (columns: a, b)',
    );
  });

  it('names the line and column of every kind of bad row', async () => {
    await expect(table('a,b,label\n1,2,0\n1,2\n')).rejects.toThrow(
      'line 3: 2 fields; the header has 3 columns',
    );
    await expect(table('a,b,label\n1,2,0\n\n1,abc,1\n')).rejects.toThrow(
      'line 4: column "b": "abc" is not a number',
    );
    await expect(table('a,b,label\n1,,0\n')).rejects.toThrow(
      'line 2: column "b" has no value (a number is needed)',
    );
    await expect(table('a,b,label\n1,NA,0\n')).rejects.toThrow('line 2: column "b" has no value');
    await expect(table('a,b,label\n1,2,\n')).rejects.toThrow(
      'line 2: column "label" has no value (a class number is needed)',
    );
    await expect(table('a,b,label\n1,2,yes\n')).rejects.toThrow(
      'line 2: label "yes" in column "label" is not a class number (0, 1, 2, ...): map the classes to whole numbers first',
    );
    await expect(table('a,b,label\n1,2,1.5\n')).rejects.toThrow(/line 2: label "1.5"/);
    await expect(table('a,b,label\n1,Infinity,1\n')).rejects.toThrow(
      /line 2: column "b": "Infinity" is not a number/,
    );
    await expect(table('a,a\n1,2\n')).rejects.toThrow(
      'line 1: the header names column "a" twice (columns 1 and 2)',
    );
    await expect(table('\n\n')).rejects.toThrow('line 1: the file is empty');
    await expect(table('label\n1\n')).rejects.toThrow('line 1: the file has no feature columns');
  });

  it('skips bad rows on request and reports each with its line', async () => {
    const rows = await table('a,label\n1,0\nx,1\n2,1\n3\n4,0\n', { skipBadRows: true });
    expect(rows.map((i) => (i.kind === 'row' ? i.row.line : `bad ${i.error.line}`))).toEqual([
      2,
      'bad 3',
      4,
      'bad 5',
      6,
    ]);
    // Broken quoting cannot be skipped: the rest of the file cannot be trusted.
    await expect(table('a,label\n"1,0\n2,1\n', { skipBadRows: true })).rejects.toThrow(/not closed/);
  });

  it('ignores lines holding only spaces', async () => {
    const rows = await table('a,label\n1,0\n   \n2,1\n');
    expect(rows.map((i) => i.kind === 'row' && i.row.features[0])).toEqual([1, 2]);
  });
});
