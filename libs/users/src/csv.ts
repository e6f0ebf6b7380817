/** One CSV record and the (1-based) line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (`""` is a quote inside
 * one, and a quoted field may span lines), CRLF or LF line ends, a leading UTF-8 BOM
 * ignored. Blank lines are skipped. Small and strict on purpose: an operator's import file
 * is either read exactly or refused with the line that is wrong.
 */
export function parseCsv(text: string): CsvRecord[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quotedField = false;
  let i = 0;

  const endField = () => {
    fields.push(field);
    field = '';
    quotedField = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
    fields = [];
  };

  while (i < input.length) {
    const c = input[i];
    if (inQuotes) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '' || quotedField)
        throw new CsvSyntaxError(line, 'a quote may only open a field');
      inQuotes = true;
      quotedField = true;
      i++;
      continue;
    }
    if (quotedField && c !== ',' && c !== '\n' && c !== '\r') {
      throw new CsvSyntaxError(line, 'text after the closing quote of a field');
    }
    if (c === ',') {
      endField();
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && input[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (inQuotes) throw new CsvSyntaxError(recordLine, 'unterminated quoted field');
  if (field !== '' || fields.length > 0 || quotedField) endRecord();
  return records;
}
