import { Injectable, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GeneralRole } from '@tessera/auth';
import { ACR, SessionService } from '@tessera/sessions';
import { hash } from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from './app';

/**
 * Real credentials for e2e tests that act as a given user: when a test app composed
 * TestAuthModule, createUser() starts a real session for every active user it creates
 * (SessionService.start: a sessions row, a refresh token, an ES256 access token in the
 * token cache) and asUser(id) sends that access token. Nothing is faked: the request goes
 * through the same authenticator, cache and guards as a client's after POST /v1/auth/login
 * (which test/sessions.e2e-spec.ts and test/login-security.e2e-spec.ts exercise over HTTP).
 */
let sessions: SessionService | undefined;
const tokens = new Map<string, string>();

@Injectable()
export class TestSessionIssuer implements OnModuleInit, OnModuleDestroy {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit() {
    sessions = this.moduleRef.get(SessionService, { strict: false });
  }

  onModuleDestroy() {
    sessions = undefined;
  }
}

@Module({ providers: [TestSessionIssuer] })
export class TestAuthModule {}

/** Authorization header of the user's session; a user without one (not active) gets a dead token. */
export const asUser = (userId: string) => ({
  authorization: `Bearer ${tokens.get(userId) ?? 'not.a-valid.token'}`,
});

/**
 * Starts (another) real session for a user and makes asUser() use it. By default the session
 * is what a real login of an elevated user yields: password + TOTP, just now (so tier-3
 * routes pass the step-up check). `{ passwordOnly: true }` or an old `authTime` give the
 * sessions step-up tests need.
 */
export async function signIn(user: { id: string; tenantId: string }, opts: { passwordOnly?: boolean; authTime?: Date } = {}) {
  if (!sessions) throw new Error('compose TestAuthModule into the test app first');
  const pair = await sessions.start(
    { id: user.id, tenantId: user.tenantId },
    opts.passwordOnly
      ? { method: 'password', amr: ['pwd'], acr: ACR.password, authTime: opts.authTime }
      : { method: 'password+totp', amr: ['pwd', 'otp', 'mfa'], acr: ACR.mfa, authTime: opts.authTime },
  );
  tokens.set(user.id, pair.access_token);
  return pair;
}

export const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000001';

export function uniqueSlug(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** A tenant written directly (as superuser); `parentId` defaults to the platform root. */
export async function createTenant(opts: { parentId?: string; slug?: string; name?: string; status?: string; settings?: object } = {}) {
  const id = randomUUID();
  const slug = opts.slug ?? uniqueSlug();
  await sql(`insert into tenants (id, parent_id, slug, name, status, settings) values ($1, $2, $3, $4, $5, $6)`, [
    id,
    opts.parentId ?? PLATFORM_TENANT_ID,
    slug,
    opts.name ?? `Tenant ${slug}`,
    opts.status ?? 'active',
    JSON.stringify(opts.settings ?? {}),
  ]);
  return { id, slug };
}

/** A user written directly (as superuser). Password hashed with argon2id when given. */
export async function createUser(opts: {
  tenantId: string;
  role?: GeneralRole;
  status?: 'pending' | 'active' | 'disabled';
  email?: string;
  name?: string;
  password?: string;
  passwordHash?: string;
  /** Built-in task role names or custom role ids, granted before the first session. */
  taskRoles?: string[];
}) {
  const id = randomUUID();
  const email = opts.email ?? `user-${randomBytes(5).toString('hex')}@example.test`;
  const passwordHash = opts.passwordHash ?? (opts.password ? await hash(opts.password, { type: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }) : null);
  await sql(
    `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, email_verified_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
    [id, opts.tenantId, email, email.normalize('NFKC').trim().toLowerCase(), opts.name ?? 'Test User', opts.status ?? 'active', opts.role ?? 'member', passwordHash],
  );
  for (const r of opts.taskRoles ?? []) {
    const custom = /^[0-9a-f-]{36}$/.test(r);
    await sql(`insert into user_roles (tenant_id, user_id, builtin, role_id) values ($1, $2, $3, $4)`, [opts.tenantId, id, custom ? null : r, custom ? r : null]);
  }
  const user = { id, email, tenantId: opts.tenantId };
  if (sessions && (opts.status ?? 'active') === 'active') await signIn(user);
  return user;
}

/** The audit rows of a tenant (or the platform chain) for an action, newest last. */
export async function auditRows(action: string, tenantId?: string | null) {
  return sql<Record<string, unknown>>(
    `select * from audit_events where action = $1 and ($2::uuid is null or tenant_id = $2::uuid) order by occurred_at, seq`,
    [action, tenantId ?? null],
  );
}
