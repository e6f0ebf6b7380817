import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { Authenticator, AuthenticatorRegistry, GeneralRole, Principal } from '@tessera/auth';
import { ProblemError } from '@tessera/http';
import { hash } from 'argon2';
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from './app';

/**
 * TEST-ONLY credential until the Sessions issue brings real login and access tokens:
 * `Authorization: TestUser <userId>` authenticates as that user if it exists and is active,
 * with its current role. It is composed into the app only by e2e tests (never by apps/),
 * and it reads the user as the database superuser, outside the app's own data path.
 */
@Injectable()
export class TestUserAuthenticator implements Authenticator, OnModuleInit {
  readonly name = 'test-user';
  constructor(private readonly registry: AuthenticatorRegistry) {}

  onModuleInit() {
    this.registry.register(this);
  }

  supports(authorization: string): boolean {
    return authorization.startsWith('TestUser ');
  }

  async authenticate(authorization: string): Promise<Principal> {
    const id = authorization.slice('TestUser '.length).trim();
    const [u] = /^[0-9a-f-]{36}$/.test(id)
      ? await sql<{ id: string; tenant_id: string; role: GeneralRole; status: string }>(
          'select id, tenant_id, role, status from users where id = $1',
          [id],
        )
      : [];
    if (!u || u.status !== 'active') throw ProblemError.unauthorized('The credential is not valid.', 'Bearer realm="tessera", error="invalid_token"');
    return {
      kind: 'user',
      userId: u.id,
      tenantId: u.tenant_id,
      role: u.role,
      sessionId: 'test-session',
      amr: ['pwd'],
      acr: 'urn:tessera:acr:test',
      authTime: Math.floor(Date.now() / 1000),
      tokenId: 'test-token',
    };
  }
}

@Module({ providers: [TestUserAuthenticator] })
export class TestAuthModule {}

export const asUser = (userId: string) => ({ authorization: `TestUser ${userId}` });

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
}) {
  const id = randomUUID();
  const email = opts.email ?? `user-${randomBytes(5).toString('hex')}@example.test`;
  const passwordHash = opts.passwordHash ?? (opts.password ? await hash(opts.password, { type: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }) : null);
  await sql(
    `insert into users (id, tenant_id, email, email_normalized, name, status, role, password_hash, email_verified_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
    [id, opts.tenantId, email, email.normalize('NFKC').trim().toLowerCase(), opts.name ?? 'Test User', opts.status ?? 'active', opts.role ?? 'member', passwordHash],
  );
  return { id, email, tenantId: opts.tenantId };
}

/** The audit rows of a tenant (or the platform chain) for an action, newest last. */
export async function auditRows(action: string, tenantId?: string | null) {
  return sql<Record<string, unknown>>(
    `select * from audit_events where action = $1 and ($2::uuid is null or tenant_id = $2::uuid) order by occurred_at, seq`,
    [action, tenantId ?? null],
  );
}
