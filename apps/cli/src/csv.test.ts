import { describe, expect, it } from 'vitest';
import { CsvError, CsvParser, csvField, readCsv } from './csv.ts';
import { readTable, type TableItem, type TableLayout } from './table.ts';

/** Parses `text` fed in the given chunk sizes (1 = character by character). */
function parse(text: string, chunk = text.length || 1) {
  const parser = new CsvParser();
  const records = [];
  for (let i = 0; i < text.length; i += chunk) records.push(...parser.push(text.slice(i, i + chunk)));
  records.push(...parser.end());
  return records;
}

async function* chunks(...parts: (string | Buffer)[]) {
  yield* parts;
}

async function table(text: string | Buffer[], options: Parameters<typeof readTable>[1] = {}) {
  const items: TableItem[] = [];
  for await (const item of readTable(typeof text === 'string' ? chunks(text) : chunks(...text), options))
    items.push(item);
  return items;
}

describe('CsvParser', () => {
  it('reads plain records with their line numbers', () => {
    expect(parse('a,b,c\n1,2,3\n4,5,6\n')).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', '5', '6'], line: 3 },
    ]);
  });

  it('keeps the last record without a final line break, and empty fields', () => {
    expect(parse('x,,z\n,,')).toEqual([
      { fields: ['x', '', 'z'], line: 1 },
      { fields: ['', '', ''], line: 2 },
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks, counting lines inside quotes', () => {
    const text = 'name,note\n"Smith, J","said ""hi"""\n"multi\nline",x\nlast,"a\r\nb"\nend,1\n';
    const expected = [
      { fields: ['name', 'note'], line: 1 },
      { fields: ['Smith, J', 'said "hi"'], line: 2 },
      { fields: ['multi\nline', 'x'], line: 3 },
      { fields: ['last', 'a\r\nb'], line: 5 },
      { fields: ['end', '1'], line: 7 },
    ];
    expect(parse(text)).toEqual(expected);
    // The same whatever the chunk boundaries (quotes, "" pairs and CRLF split across chunks).
    for (const size of [1, 2, 3, 5, 7]) expect(parse(text, size)).toEqual(expected);
  });

  it('treats CRLF, LF and lone CR as line ends, and skips blank lines', () => {
    const text = 'a,b\r\n1,2\r\n\r\n3,4\r5,6\n\n\n7,8\r\n';
    const expected = [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 4 },
      { fields: ['5', '6'], line: 5 },
      { fields: ['7', '8'], line: 8 },
    ];
    expect(parse(text)).toEqual(expected);
    expect(parse(text, 1)).toEqual(expected);
  });

  it('drops a byte-order mark at the start only', () => {
    expect(parse('\uFEFFa,b\n1,2')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });

  it('rejects malformed quoting with the line number', () => {
    expect(() => parse('a,b\n1,2\n"open,3\n4,5\n')).toThrow(
      new CsvError(3, 'a quoted field is not closed before the end of the file'),
    );
    expect(() => parse('a,b\n1,2\n3,4"5\n')).toThrow(/^line 3: a quote inside an unquoted field \("4\\""\)/);
    expect(() => parse('a,b\n"x\ny"z,1\n')).toThrow(/^line 3: unexpected "z" after a closing quote/);
    const error = (() => {
      try {
        parse('a\n"b"c');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CsvError);
    expect((error as CsvError).line).toBe(2);
  });

  it('supports another delimiter and refuses impossible ones', () => {
    const parser = new CsvParser(';');
    expect([...parser.push('a;b\n"1;2";3\n'), ...parser.end()].map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ]);
    expect(() => new CsvParser('"')).toThrow(/delimiter must be one character/);
    expect(() => new CsvParser(',,')).toThrow(/delimiter must be one character/);
  });

  it('decodes UTF-8 split across buffers and refuses other encodings', async () => {
    const bytes = Buffer.from('name\nZürich\n', 'utf8');
    const split = bytes.indexOf(0xc3) + 1; // between the two bytes of ü
    const records = [];
    for await (const r of readCsv(chunks(bytes.subarray(0, split), bytes.subarray(split))))
      records.push(r.fields[0]);
    expect(records).toEqual(['name', 'Zürich']);
    const latin1 = Buffer.from('name\nZ\xfcrich\n', 'latin1');
    await expect(async () => {
      for await (const _ of readCsv(chunks(latin1))) {
        // drain
      }
    }).rejects.toThrow('the file is not valid UTF-8 text: save it as UTF-8 CSV');
  });

  it('writes fields back, quoting only when needed', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(0.25)).toBe('0.25');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "x"')).toBe('"say ""x"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    const line = ['a,b', 'say "x"', 'two\r\nlines', '3'].map((f) => csvField(f)).join(',');
    expect(parse(`${line}\n`)[0]!.fields).toEqual(['a,b', 'say "x"', 'two\r\nlines', '3']);
  });
});

describe('readTable', () => {
  it('takes the label column when the header has one, every other column as a feature', async () => {
    let layout: TableLayout | undefined;
    const items = await table('x0,label,x1\n1.5,0,2\n-3e2, 1 ,0.5\n', {
      onLayout: (l) => {
        layout = l;
      },
    });
    expect(layout?.labelColumn).toBe('label');
    expect(layout?.featureColumns).toEqual(['x0', 'x1']);
    expect(items).toEqual([
      { kind: 'row', row: { features: [1.5, 2], label: 0, line: 2, fields: ['1.5', '0', '2'] } },
      { kind: 'row', row: { features: [-300, 0.5], label: 1, line: 3, fields: ['-3e2', ' 1 ', '0.5'] } },
    ]);
  });

  it('uses --label-column, or no label column at all', async () => {
    const withY = await table('a,b,y\n1,2,1\n', { labelColumn: 'y' });
    expect(withY).toEqual([
      { kind: 'row', row: { features: [1, 2], label: 1, line: 2, fields: ['1', '2', '1'] } },
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
    await expect(table('a,b,label\n1,,0\n')).rejects.toThrow('line 2: column "b" is empty');
    await expect(table('a,b,label\n1,2,yes\n')).rejects.toThrow(
      'line 2: label "yes" in column "label" is not a class number (0, 1, 2, ...): map the classes to whole numbers first',
    );
    await expect(table('a,b,label\n1,2,1.5\n')).rejects.toThrow(/line 2: label "1.5"/);
    await expect(table('a,a\n1,2\n')).rejects.toThrow(
      'line 1: the header names column "a" twice (columns 1 and 2)',
    );
    await expect(table('\n\n')).rejects.toThrow('line 1: the file is empty');
    await expect(table('label\n1\n')).rejects.toThrow('line 1: the file has no feature columns');
  });

  it('skips bad rows on request and reports each with its line', async () => {
    const items = await table('a,label\n1,0\nx,1\n2,1\n3\n4,0\n', { skipBadRows: true });
    expect(items.map((i) => (i.kind === 'row' ? i.row.line : `bad ${i.error.line}`))).toEqual([
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
    const items = await table('a,label\n1,0\n   \n2,1\n');
    expect(items.map((i) => i.kind === 'row' && i.row.features[0])).toEqual([1, 2]);
  });
});
