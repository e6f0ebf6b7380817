import { CsvSyntaxError, parseCsv } from './csv';

describe('parseCsv', () => {
  it('reads fields, quotes, escaped quotes, CRLF and multi-line fields with their starting line', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\n\n"multi\nline",2,3\nlast,row,here';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', ''] },
      { line: 4, fields: ['multi\nline', '2', '3'] },
      { line: 6, fields: ['last', 'row', 'here'] },
    ]);
  });

  it('keeps bcrypt hashes ($, /, .) verbatim', () => {
    const hash = '$2b$10$abcdefghijklmnopqrstuv/ABCDEFGHIJKLMNOPQRSTUVWXYZ012.';
    expect(parseCsv(`h\n${hash}\n`)).toEqual([
      { line: 1, fields: ['h'] },
      { line: 2, fields: [hash] },
    ]);
  });

  it('refuses malformed quoting with the line', () => {
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\nx"y",z\n')).toThrow(/quote may only open/);
    let caught: unknown;
    try {
      parseCsv('a\nb\n"c"d\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CsvSyntaxError);
    expect((caught as CsvSyntaxError).line).toBe(3);
  });
});
