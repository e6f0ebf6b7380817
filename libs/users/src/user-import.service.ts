import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { HttpStatus, Injectable } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { GeneralRole, isGeneralRole } from '@tessera/auth';
import { PLATFORM_TENANT_ID, PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { isEmail } from 'class-validator';
import { CsvSyntaxError, parseCsv } from './csv';
import { cleanEmail, normalizeEmail } from './email';
import { isEmailDomainAllowed, readTenant, TenantInfo } from './tenant-info';
import { auditActor, operatorActor } from './users-actor';

export const IMPORT_COLUMNS = ['email', 'name', 'tenant_slug', 'role', 'bcrypt_hash'] as const;
export const IMPORT_MAX_ROWS = 10_000;

/** The legacy hashes we accept: bcrypt `$2a$`/`$2b$`/`$2y$`, two-digit cost, 53 characters of salt+hash. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const CONTROL = /\p{Cc}/u;

export interface ImportProblem {
  /** 1-based line of the file (the header is line 1). */
  line: number;
  message: string;
}

/** The file was refused; nothing was written. Lists every problem found, not just the first. */
export class UserImportError extends ProblemError {
  constructor(readonly problems: ImportProblem[]) {
    super(
      HttpStatus.BAD_REQUEST,
      'import-invalid',
      'Import refused',
      `${problems.length} problem(s) found; nothing was imported.`,
      { problems },
    );
    this.name = 'UserImportError';
  }
}

export interface ImportedUser {
  line: number;
  id: string;
  email: string;
  tenantId: string;
  tenantSlug: string;
  role: GeneralRole;
}

interface ValidRow {
  line: number;
  email: string;
  emailNormalized: string;
  name: string;
  tenant: TenantInfo & { slug: string };
  role: GeneralRole;
  hash: string;
}

/**
 * Operator import of users from a legacy system (`users import --file users.csv`): columns
 * email,name,tenant_slug,role,bcrypt_hash with a header row. Every row is validated first
 * and every problem reported with its line; then all rows are written in ONE transaction
 * (all or nothing). Imported users are `active`, keep their bcrypt hash (upgraded to
 * argon2id by CredentialsService on their first successful login) and count as verified.
 */
@Injectable()
export class UserImportService {
  constructor(
    private readonly db: TenantDb,
    private readonly preTenant: PreTenantLookup,
    private readonly audit: AuditService,
  ) {}

  async importCsv(csv: string, operatorId = 'cli'): Promise<ImportedUser[]> {
    const actor = operatorActor(operatorId);
    let rows: ValidRow[];
    try {
      rows = await this.validate(csv);
    } catch (err) {
      if (err instanceof UserImportError) {
        await this.audit.record({
          action: 'user.import',
          outcome: 'failure',
          tenantId: null,
          ...auditActor(actor),
          target: { type: 'user_import', id: null },
          riskTier: 3,
          params: { problems: err.problems.length },
          reason: 'import-invalid',
        });
      }
      throw err;
    }

    const byTenant = new Map<string, ValidRow[]>();
    for (const row of rows)
      byTenant.set(row.tenant.id, [...(byTenant.get(row.tenant.id) ?? []), row]);
    try {
      // One transaction across tenants, so the file is all or nothing. The tenant setting is
      // switched per group exactly as TenantDb.withTenant sets it, so RLS (and audit_append's
      // tenant check) still applies to every statement.
      return await this.db.withoutTenant(async (em) => {
        const imported: ImportedUser[] = [];
        for (const [tenantId, group] of byTenant) {
          await em.execute(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
          for (const row of group) {
            const id = randomUUID();
            await em.execute(
              `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, email_verified_at)
               values (?, ?, ?, ?, ?, 'active', ?, ?, now())`,
              [id, tenantId, row.email, row.emailNormalized, row.name, row.role, row.hash],
            );
            await this.audit.record(
              {
                action: 'user.import',
                outcome: 'success',
                tenantId,
                ...auditActor(actor),
                target: { type: 'user', id },
                riskTier: 3,
                params: { email: row.email, role: row.role, line: row.line },
              },
              em,
            );
            imported.push({
              line: row.line,
              id,
              email: row.email,
              tenantId,
              tenantSlug: row.tenant.slug,
              role: row.role,
            });
          }
        }
        return imported;
      });
    } catch (err) {
      // Someone registered one of the emails after validation: the whole file rolled back.
      if (err instanceof UniqueConstraintViolationException) {
        throw new UserImportError([
          {
            line: 0,
            message: 'an email was registered while importing; nothing was imported, run it again',
          },
        ]);
      }
      throw err;
    }
  }

  private async validate(csv: string): Promise<ValidRow[]> {
    let records;
    try {
      records = parseCsv(csv);
    } catch (err) {
      if (err instanceof CsvSyntaxError)
        throw new UserImportError([{ line: err.line, message: `CSV syntax: ${err.message}` }]);
      throw err;
    }
    const [header, ...data] = records;
    if (!header) throw new UserImportError([{ line: 1, message: 'the file is empty' }]);
    const columns = header.fields.map((f) => f.trim().toLowerCase());
    const missing = IMPORT_COLUMNS.filter((c) => !columns.includes(c));
    const unknown = columns.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
    if (missing.length || unknown.length || columns.length !== IMPORT_COLUMNS.length) {
      throw new UserImportError([
        {
          line: header.line,
          message:
            `header must name exactly the columns ${IMPORT_COLUMNS.join(',')}` +
            (missing.length ? `; missing ${missing.join(',')}` : '') +
            (unknown.length ? `; unknown ${unknown.join(',')}` : ''),
        },
      ]);
    }
    if (data.length === 0)
      throw new UserImportError([{ line: header.line, message: 'no rows after the header' }]);
    if (data.length > IMPORT_MAX_ROWS)
      throw new UserImportError([
        { line: header.line, message: `at most ${IMPORT_MAX_ROWS} rows per file` },
      ]);
    const col = (fields: string[], name: (typeof IMPORT_COLUMNS)[number]) =>
      fields[columns.indexOf(name)] ?? '';

    const problems: ImportProblem[] = [];
    const valid: ValidRow[] = [];
    const seen = new Map<string, number>();
    const tenants = new Map<string, (TenantInfo & { slug: string }) | null>();

    for (const { line, fields } of data) {
      const rowProblems: string[] = [];
      if (fields.length !== columns.length) {
        problems.push({
          line,
          message: `expected ${columns.length} fields, found ${fields.length}`,
        });
        continue;
      }
      const email = cleanEmail(col(fields, 'email'));
      const emailNormalized = normalizeEmail(email);
      const name = col(fields, 'name').trim();
      const slug = col(fields, 'tenant_slug').trim().toLowerCase();
      const role = col(fields, 'role').trim();
      const hash = col(fields, 'bcrypt_hash').trim();

      const emailOk = email.length <= 320 && isEmail(email);
      if (!emailOk) rowProblems.push('invalid email');
      if (name.length < 1 || name.length > 200 || CONTROL.test(name))
        rowProblems.push('name must be 1 to 200 characters without control characters');
      if (!isGeneralRole(role)) rowProblems.push(`unknown role "${role.slice(0, 40)}"`);
      // Never echo the hash: it is a credential of sorts.
      if (!BCRYPT_HASH.test(hash))
        rowProblems.push('bcrypt_hash is not a bcrypt hash ($2a$/$2b$/$2y$)');

      let tenant = tenants.get(slug);
      if (tenant === undefined) {
        tenant = slug ? await this.tenantBySlug(slug) : null;
        tenants.set(slug, tenant);
      }
      if (!tenant) rowProblems.push(`unknown tenant "${slug.slice(0, 63)}"`);
      else {
        if (tenant.status === 'suspended') rowProblems.push(`tenant "${slug}" is suspended`);
        if (emailOk && !isEmailDomainAllowed(tenant.settings, emailNormalized))
          rowProblems.push(`email domain not allowed in tenant "${slug}"`);
        if (role === 'system_admin' && tenant.id !== PLATFORM_TENANT_ID)
          rowProblems.push('system_admin only in the platform tenant');
      }

      if (emailOk) {
        const first = seen.get(emailNormalized);
        if (first !== undefined) rowProblems.push(`duplicate email (same as line ${first})`);
        else {
          seen.set(emailNormalized, line);
          if (await this.preTenant.userByEmail(emailNormalized))
            rowProblems.push('email already registered');
        }
      }

      if (rowProblems.length) problems.push({ line, message: rowProblems.join('; ') });
      else if (tenant && isGeneralRole(role))
        valid.push({ line, email, emailNormalized, name, tenant, role, hash });
    }
    if (problems.length) throw new UserImportError(problems);
    return valid;
  }

  private async tenantBySlug(slug: string): Promise<(TenantInfo & { slug: string }) | null> {
    const ref = await this.preTenant.tenantBySlug(slug);
    if (!ref) return null;
    const info = await this.db.withTenant(ref.id, (em) => readTenant(em, ref.id));
    return info ? { ...info, slug } : null;
  }
}
