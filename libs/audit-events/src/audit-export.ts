import { Readable } from 'node:stream';
import { AuditEventRow, toAuditEventDto } from './dto/audit-event.dto';
import type { AuditExportFormat } from './dto/audit-events.query';

/** CSV columns, in order: every column of the row shape, flattened. */
export const AUDIT_CSV_COLUMNS = [
  'id',
  'tenant_id',
  'lane',
  'seq',
  'occurred_at',
  'actor_type',
  'actor_id',
  'credential_type',
  'credential_id',
  'credential_test',
  'action',
  'target_type',
  'target_id',
  'route',
  'method',
  'ip',
  'user_agent',
  'request_id',
  'params',
  'risk_tier',
  'decision',
  'outcome',
  'reason',
  'hash',
  'prev_hash',
] as const satisfies readonly (keyof AuditEventRow)[];

/** Cells a spreadsheet would read as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): a value a spreadsheet would evaluate gets a leading `'`, then
 * the cell is quoted when it holds a comma, quote, CR or LF (quotes doubled).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 asks. `params` is its JSON text. */
export function csvRecord(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function auditCsvRow(row: AuditEventRow): string {
  return csvRecord(AUDIT_CSV_COLUMNS.map((c) => row[c]));
}

/** One NDJSON line: the same AuditEventDto the list returns. */
export function auditNdjsonLine(row: AuditEventRow): string {
  return `${JSON.stringify(toAuditEventDto(row))}\n`;
}

export const AUDIT_EXPORT_CONTENT_TYPE: Record<AuditExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/**
 * A Node stream of the export, pulled page by page from `pages`: only one page is ever in
 * memory, and the next page is read when the client has consumed the previous one
 * (Readable.from respects back-pressure).
 */
export function auditExportStream(
  pages: AsyncIterable<AuditEventRow[]>,
  format: AuditExportFormat,
): Readable {
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield csvRecord(AUDIT_CSV_COLUMNS);
    for await (const rows of pages) {
      yield rows.map(format === 'csv' ? auditCsvRow : auditNdjsonLine).join('');
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
