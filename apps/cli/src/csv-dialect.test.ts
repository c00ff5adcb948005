import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCsv } from './csv.ts';
import { decimalOf, dialectText, firstLines, sniffDialect, splitLine } from './csv-dialect.ts';
import { openFile } from './numeric-table.ts';

describe('sniffDialect', () => {
  it('finds the separator that splits the header and the lines alike', () => {
    expect(sniffDialect(['a,b,c', '1,2,3', '4,5,6'])).toEqual({ delimiter: ',', decimal: '.' });
    expect(sniffDialect(['a;b;c', '1,5;2;3', '4;5,25;6'])).toEqual({ delimiter: ';', decimal: ',' });
    expect(sniffDialect(['a\tb\tc', '1.5\t2\t3'])).toEqual({ delimiter: '\t', decimal: '.' });
    expect(sniffDialect(['a|b', 'x|1'])).toEqual({ delimiter: '|', decimal: '.' });
    // A comma inside quotes does not split; the semicolons do.
    expect(sniffDialect(['name;price', '"Smith, J";12,5', '"Doe, A";3'])).toEqual({
      delimiter: ';',
      decimal: ',',
    });
    // Commas inside the quoted names of a comma file are no reason to take another separator.
    expect(sniffDialect(['name,note', '"a;b;c",x', 'd,"e;f"'])).toEqual({ delimiter: ',', decimal: '.' });
  });

  it('keeps the comma when another separator does not hold on the lines', () => {
    // The header has two semicolons, but the lines none: a comma file with an odd header.
    expect(sniffDialect(['a;b;c,d', '1,2', '3,4']).delimiter).toBe(',');
    // One column, no separator at all.
    expect(sniffDialect(['value', '1', '2'])).toEqual({ delimiter: ',', decimal: '.' });
    expect(sniffDialect([])).toEqual({ delimiter: ',', decimal: '.' });
  });

  it('reads decimal commas only where no number has a decimal point', () => {
    expect(decimalOf(['1,5;2.5'], ';')).toBe('.');
    expect(decimalOf(['1.234,5;7'], ';')).toBe(',');
    // 1.234 may be a thousand written with a dot: no evidence either way.
    expect(decimalOf(['1.234;7'], ';')).toBe('.');
    expect(decimalOf(['x;7'], ';')).toBe('.');
    // A given separator is kept; only the decimal mark is read off the lines.
    expect(sniffDialect(['a;b', '0,5;1'], ';')).toEqual({ delimiter: ';', decimal: ',' });
  });

  it('splits quoted fields and says the dialect', () => {
    expect(splitLine('"a ""b"", c";d', ';')).toEqual(['a "b", c', 'd']);
    expect(dialectText({ delimiter: '\t', decimal: '.' })).toBe('tab-separated');
    expect(dialectText({ delimiter: ';', decimal: ',' })).toBe('";"-separated with decimal commas');
  });
});

describe('firstLines and decimal commas in the reader', () => {
  it('samples a file without its byte-order mark or blank lines, then reads 1.234,5 as 1234.5', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dialect-'));
    const file = join(dir, 'eu.csv');
    await writeFile(file, '\uFEFFsize;price;city\r\n\r\n12;1.234,5;Köln\r\n-3;0,25;"Bonn; Rhein"\r\n');
    const lines = await firstLines(file);
    expect(lines).toEqual(['size;price;city', '12;1.234,5;Köln', '-3;0,25;"Bonn; Rhein"']);
    const dialect = sniffDialect(lines);
    expect(dialect).toEqual({ delimiter: ';', decimal: ',' });

    async function* chunks() {
      yield await readFile(file);
    }
    const records = [];
    for await (const item of readCsv(chunks(), dialect))
      if (item.kind === 'record') records.push(item.record);
    expect(records.map((r) => r.values)).toEqual([
      ['12', '1234.5', 'Köln'],
      ['-3', '0.25', 'Bonn; Rhein'],
    ]);
    // The text as written is kept for writing the rows back out.
    expect(records[0]!.written).toEqual(['12', '1.234,5', 'Köln']);
    expect(await firstLines(join(dir, 'missing.csv'))).toEqual([]);
  });
});

describe('a gzip-compressed file (data.csv.gz)', () => {
  it('is sampled and read decompressed; a cut one says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dialect-gz-'));
    const lines = [
      'a;b;class',
      ...Array.from({ length: 5000 }, (_, i) => `${i},5;${i % 7};${i % 2 ? 'x' : 'y'}`),
    ];
    const file = join(dir, 'big.csv.gz');
    const packed = gzipSync(`${lines.join('\n')}\n`);
    await writeFile(file, packed);
    expect(sniffDialect(await firstLines(file))).toEqual({ delimiter: ';', decimal: ',' });
    let records = 0;
    let last: (string | null)[] = [];
    for await (const item of readCsv(openFile(file), { delimiter: ';', decimal: ',' })) {
      if (item.kind !== 'record') continue;
      records++;
      last = item.record.values;
    }
    expect(records).toBe(5000);
    expect(last).toEqual(['4999.5', '1', 'x']);

    const cut = join(dir, 'cut.csv.gz');
    await writeFile(cut, packed.subarray(0, packed.length >> 1));
    await expect(async () => {
      for await (const _ of openFile(cut));
    }).rejects.toThrow(`${cut} is gzip-compressed but cannot be read: unexpected end of file`);
  });
});
