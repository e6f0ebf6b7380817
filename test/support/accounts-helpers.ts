import { MailService } from '@tessera/mail';
import { randomBytes } from 'node:crypto';
import { sql, startApp, TestApp } from './app';
import { extractToken, ReceivedMail, SmtpSink } from './smtp-sink';

/**
 * Helpers for the account-flow specs (sign-up, verification, password reset). The per-IP
 * auth limit is raised so a spec's many anonymous requests from 127.0.0.1 do not trip it;
 * the spec that tests that limit starts its own app with a low one.
 */
export async function startAccountsApp(
  sink: SmtpSink,
  env: Record<string, string> = {},
): Promise<TestApp> {
  return startApp({ SMTP_URL: sink.url, RATE_LIMIT_AUTH_PER_MINUTE: '10000', ...env });
}

export function uniqueEmail(prefix = 'acct'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.test`;
}

/** Random enough for zxcvbn's top score, and free of any name or address. */
export function strongPassword(): string {
  return `Vx7-${randomBytes(12).toString('base64url')}`;
}

/** Waits for background deliveries, then returns what reached `to`. */
export async function mailsTo(t: TestApp, sink: SmtpSink, to: string): Promise<ReceivedMail[]> {
  await t.app.get(MailService).drain();
  return sink.messagesTo(to);
}

export async function onlyMailTo(t: TestApp, sink: SmtpSink, to: string): Promise<ReceivedMail> {
  const mails = await mailsTo(t, sink, to);
  if (mails.length !== 1)
    throw new Error(`expected exactly one mail to ${to}, got ${mails.length}`);
  return mails[0];
}

export async function tokenMailedTo(
  t: TestApp,
  sink: SmtpSink,
  to: string,
  nth = -1,
): Promise<string> {
  const mails = await mailsTo(t, sink, to);
  const mail = mails.at(nth);
  if (!mail) throw new Error(`no mail to ${to}`);
  return extractToken(mail);
}

export async function userByEmail(email: string) {
  const [u] = await sql<{
    id: string;
    tenant_id: string;
    status: string;
    role: string;
    password_hash: string | null;
    password_changed_at: Date | null;
    email_verified_at: Date | null;
  }>(`select * from users where email_normalized = $1`, [
    email.normalize('NFKC').trim().toLowerCase(),
  ]);
  return u;
}

export async function tenantById(id: string) {
  const [t] = await sql<{
    id: string;
    parent_id: string;
    slug: string;
    name: string;
    status: string;
  }>(`select * from tenants where id = $1`, [id]);
  return t;
}

/**
 * The rows a sign-up with this address and tenant name could have written: tenants of
 * that name, users with that address, and link tokens of such users. Scoped, so parallel
 * spec files writing other rows do not disturb the before/after comparison.
 */
export async function signupFootprint(
  email: string,
  tenantName: string,
): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, string>>(
    `select (select count(*) from tenants where name = $2) as tenants,
            (select count(*) from users where email_normalized = $1) as users,
            (select count(*) from account_tokens t join users u on u.id = t.user_id
              where u.email_normalized = $1) as account_tokens`,
    [email.normalize('NFKC').trim().toLowerCase(), tenantName],
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

/** The audit rows written for one request (found by its request id). */
export async function auditRowsOfRequest(requestId: string) {
  return sql<Record<string, unknown>>(
    `select * from audit_events where request_id = $1 order by occurred_at, seq`,
    [requestId],
  );
}

/** Makes a link token expire now (as the superuser, past RLS). */
export async function expireTokensOf(userId: string): Promise<void> {
  await sql(
    `update account_tokens set expires_at = now() - interval '1 second' where user_id = $1`,
    [userId],
  );
}
