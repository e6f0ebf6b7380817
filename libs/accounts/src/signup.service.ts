import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { PLATFORM_TENANT_ID, PreTenantLookup, TenantDb } from '@tessera/database';
import { MailService } from '@tessera/mail';
import { PasswordHasher, PasswordPolicyService } from '@tessera/password';
import { emailDomain, normalizeEmail } from '@tessera/users';
import { ACCOUNT_TOKEN_TTL_MS, AccountTokenService } from '@tessera/account-tokens';
import { AccountsRepository, isUniqueViolation } from './accounts.repository';
import { EmailAttemptLimiter } from './email-attempt-limiter.service';
import { signupSlug } from './tenant-slug';

export interface SignupInput {
  /** As entered, NFKC-normalised and trimmed (the DTO's transform does that). */
  email: string;
  password: string;
  name: string;
  tenantName: string;
}

/** Slugs carry a random suffix; a collision is rare, and a new suffix resolves it. */
const SLUG_ATTEMPTS = 3;

/**
 * Self-service sign-up: a new pending tenant under the platform root, its first pending
 * tenant_admin, and a verification mail. The caller learns nothing about whether the
 * address already has an account: the same answer, the same work (one argon2id hash, one
 * lookup, one transaction with an audit row, one mail in the background) either way.
 */
@Injectable()
export class SignupService {
  private readonly logger = new Logger('Signup');

  constructor(
    private readonly db: TenantDb,
    private readonly lookup: PreTenantLookup,
    private readonly repo: AccountsRepository,
    private readonly tokens: AccountTokenService,
    private readonly policy: PasswordPolicyService,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly limiter: EmailAttemptLimiter,
    @InjectConfig() private readonly config: TesseraConfig,
  ) {}

  /**
   * Resolves the same way whatever happened; throws only WeakPasswordError (400, decided
   * from the input alone, so it says nothing about existing accounts) or infrastructure
   * errors.
   */
  async signUp(input: SignupInput): Promise<void> {
    // A new tenant has no settings yet: the platform policy applies.
    this.policy.assertAcceptable(input.password, {
      email: input.email,
      name: input.name,
      tenantName: input.tenantName,
    });
    const emailNormalized = normalizeEmail(input.email);

    if (!(await this.limiter.allow('signup', emailNormalized))) {
      // Counted for every address alike, so being limited reveals nothing; nothing is sent.
      await this.audit.record({
        action: 'auth.signup',
        outcome: 'failure',
        decision: 'deny',
        tenantId: null,
        actor: { type: 'anonymous' },
        reason: 'email_rate_limited',
        params: { emailDomain: emailDomain(emailNormalized) },
      });
      return;
    }

    // Hashed in both branches: the existing-address branch discards it, so it costs the same.
    const passwordHash = await this.hasher.hash(input.password);

    const existing = await this.lookup.userByEmail(emailNormalized);
    if (existing) {
      await this.notifyExistingOwner(existing);
      return;
    }
    const created = await this.createTenantAndAdmin(input, emailNormalized, passwordHash);
    if (created === 'email-taken') {
      // A concurrent sign-up with the same address won the unique index; ours rolled back.
      const winner = await this.lookup.userByEmail(emailNormalized);
      if (winner) await this.notifyExistingOwner(winner);
      else this.logger.warn('Sign-up lost an email uniqueness race, but no owner was found');
    }
  }

  /** One transaction: tenant (as its parent, the platform), then admin, token and audit as the tenant. */
  private async createTenantAndAdmin(
    input: SignupInput,
    emailNormalized: string,
    passwordHash: string,
  ): Promise<'created' | 'email-taken'> {
    for (let attempt = 1; ; attempt++) {
      const tenantId = randomUUID();
      const userId = randomUUID();
      const slug = signupSlug(input.tenantName);
      try {
        const token = await this.db.withTenant(PLATFORM_TENANT_ID, async (em) => {
          await this.repo.insertPendingTenant(em, {
            id: tenantId,
            parentId: PLATFORM_TENANT_ID,
            slug,
            name: input.tenantName,
          });
          await this.repo.narrowTo(em, tenantId);
          await this.repo.insertPendingAdmin(em, {
            id: userId,
            tenantId,
            email: input.email,
            emailNormalized,
            name: input.name,
            passwordHash,
          });
          const issued = await this.tokens.issue(em, { tenantId, userId }, 'email_verification');
          await this.audit.record(
            {
              action: 'auth.signup',
              outcome: 'success',
              tenantId,
              actor: { type: 'anonymous' },
              target: { type: 'user', id: userId },
              params: { tenantSlug: slug, emailDomain: emailDomain(emailNormalized) },
            },
            em,
          );
          return issued;
        });
        this.mail.enqueue('email-verification', input.email, {
          name: input.name,
          link: this.mail.link('verify-email', token),
          expiresInHours: ACCOUNT_TOKEN_TTL_MS.email_verification / 3600_000,
        });
        return 'created';
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_normalized_key')) return 'email-taken';
        if (isUniqueViolation(err, 'tenants_slug_key') && attempt < SLUG_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * Creates nothing. Tells the owner someone tried to sign up with their address and how
   * to get back in (no token in that mail: it was not asked for by the owner). An existing
   * pending account never gets a new verification link this way: it may have been
   * created by someone else, with a password they know (account pre-hijacking).
   */
  private async notifyExistingOwner(found: { id: string; tenantId: string }): Promise<void> {
    const owner = await this.db.withTenant(found.tenantId, async (em) => {
      const user = await this.repo.findUser(em, found.id);
      await this.audit.record(
        {
          action: 'auth.signup',
          outcome: 'failure',
          tenantId: found.tenantId,
          actor: { type: 'anonymous' },
          target: { type: 'user', id: found.id },
          reason: 'email_exists',
        },
        em,
      );
      return user;
    });
    if (!owner) return;
    this.mail.enqueue('signup-attempt', owner.email, {
      name: owner.name,
      resetLink: `${this.config.http.publicUrl}/forgot-password`,
    });
  }
}
