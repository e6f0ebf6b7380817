import { AccountEvent, AccountEvents } from '@tessera/auth';
import { MailService } from '@tessera/mail';
import { randomBytes } from 'node:crypto';
import { sql, TestApp } from './app';
import { extractToken, ReceivedMail, SmtpSink } from './smtp-sink';

/** Helpers for test/users.e2e-spec.ts (users admin API, invitations, activation, /v1/me). */

export function uniqueUserEmail(prefix = 'usr'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.test`;
}

/** Random enough for zxcvbn's top score, and free of any name or address. */
export function strongPassword(): string {
  return `Qz9-${randomBytes(12).toString('base64url')}`;
}

export async function mailsTo(t: TestApp, sink: SmtpSink, to: string): Promise<ReceivedMail[]> {
  await t.app.get(MailService).drain();
  return sink.messagesTo(to);
}

/** The token of the latest (or nth) mail to `to`. */
export async function latestToken(
  t: TestApp,
  sink: SmtpSink,
  to: string,
  nth = -1,
): Promise<string> {
  const mail = (await mailsTo(t, sink, to)).at(nth);
  if (!mail) throw new Error(`no mail to ${to}`);
  return extractToken(mail);
}

export async function userRow(id: string) {
  const [u] = await sql<{
    id: string;
    tenant_id: string;
    email: string;
    name: string;
    status: string;
    role: string;
    password_hash: string | null;
    password_changed_at: Date | null;
    email_verified_at: Date | null;
    updated_at: Date;
  }>('select * from users where id = $1', [id]);
  return u;
}

export async function userRowByEmail(email: string) {
  const [u] = await sql<{
    id: string;
    status: string;
    role: string;
    tenant_id: string;
    password_hash: string | null;
  }>('select id, status, role, tenant_id, password_hash from users where email_normalized = $1', [
    email.normalize('NFKC').trim().toLowerCase(),
  ]);
  return u;
}

/** Audit rows about one target (any action), oldest first. */
export async function auditRowsFor(targetId: string, action?: string) {
  return sql<
    Record<string, unknown> & {
      action: string;
      outcome: string;
      decision: string;
      reason: string | null;
      tenant_id: string | null;
    }
  >(
    `select * from audit_events where target_id = $1 and ($2::text is null or action = $2) order by occurred_at, seq`,
    [targetId, action ?? null],
  );
}

/** Records every AccountEvent the app publishes. */
export function captureAccountEvents(t: TestApp): AccountEvent[] {
  const events: AccountEvent[] = [];
  t.app.get(AccountEvents).subscribe((e) => {
    events.push(e);
  });
  return events;
}
