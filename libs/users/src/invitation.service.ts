import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ACCOUNT_TOKEN_TTL_MS, AccountTokenService } from '@tessera/account-tokens';
import { AuditService } from '@tessera/audit';
import { GeneralRole, isGeneralRole } from '@tessera/auth';
import { PreTenantLookup, TenantDb } from '@tessera/database';
import { ProblemError } from '@tessera/http';
import { MailService } from '@tessera/mail';
import { isEmail } from 'class-validator';
import { cleanEmail, normalizeEmail } from './email';
import { isEmailDomainAllowed, readTenant } from './tenant-info';
import { User } from './user.entity';
import { UserAccess } from './user-access.service';
import { UsersErrors } from './users.errors';
import { auditActor, UsersActor } from './users-actor';

export interface InviteInput {
  email: string;
  name: string;
  role?: GeneralRole;
}

/** Where to invite: a tenant id (API, `?tenantId=`; default the caller's own) or a slug (CLI). */
export type InviteScope = { tenantId?: string } | { tenantSlug: string };

export interface Invitation {
  user: User;
  /**
   * The activation link, for the CLI to print in console-mail mode only. It carries a
   * one-time secret: the HTTP layer must never return it (the controller maps `user` only).
   */
  activationLink: string;
}

/**
 * The DTO's rules again, for callers without a ValidationPipe (the CLI): the same 400
 * `validation-failed` problem, so bad operator input never reaches the database.
 */
function assertValidInvite(input: InviteInput): void {
  const errors: { field: string; messages: string[] }[] = [];
  const email = typeof input.email === 'string' ? cleanEmail(input.email) : '';
  if (!isEmail(email) || email.length > 320)
    errors.push({ field: 'email', messages: ['email must be an email'] });
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length < 1 || name.length > 200 || /\p{Cc}/u.test(name)) {
    errors.push({
      field: 'name',
      messages: ['name must be 1 to 200 characters without control characters'],
    });
  }
  if (input.role !== undefined && !isGeneralRole(input.role))
    errors.push({ field: 'role', messages: ['role must be a general role'] });
  if (errors.length)
    throw ProblemError.badRequest(
      'validation-failed',
      'The request is not valid',
      'One or more fields are invalid.',
      { errors },
    );
}

/** A function, not a constant: evaluated at call time, whatever order the two libraries load in. */
const invitationDays = () => ACCOUNT_TOKEN_TTL_MS.invitation / 86_400_000;
const ACTIVATION_PATH = 'activate';

/**
 * Invitations: creates a `pending` user without a password and mails it an activation link
 * (`${PUBLIC_URL}/activate?token=…`, 7 days, single use). The user, its token and the audit
 * row commit together; the mail is queued after the commit, so a rolled-back invitation
 * never sends a working link.
 */
@Injectable()
export class InvitationService {
  constructor(
    private readonly db: TenantDb,
    private readonly access: UserAccess,
    private readonly preTenant: PreTenantLookup,
    private readonly tokens: AccountTokenService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
  ) {}

  async invite(
    actor: UsersActor,
    input: InviteInput,
    scope: InviteScope = {},
  ): Promise<Invitation> {
    assertValidInvite(input);
    const tenantId = await this.scopeTenant(actor, scope);
    const role = input.role ?? 'member';
    const email = cleanEmail(input.email);
    const emailNormalized = normalizeEmail(email);
    const refuse = (err: ProblemError) =>
      this.refused(actor, tenantId, 'user.invite', err, { email, role });

    try {
      this.access.assertMayGrant(actor, role, tenantId);
    } catch (err) {
      throw err instanceof ProblemError ? await refuse(err) : err;
    }
    if (await this.preTenant.userByEmail(emailNormalized))
      throw await refuse(UsersErrors.emailTaken());

    const inviterName = await this.inviterName(actor);
    let result: { user: User; token: string; tenantName: string };
    try {
      result = await this.db.withTenant(tenantId, async (em) => {
        const tenant = await readTenant(em, tenantId);
        if (!tenant) throw UsersErrors.tenantNotFound();
        if (tenant.status === 'suspended') throw UsersErrors.tenantSuspended();
        if (!isEmailDomainAllowed(tenant.settings, emailNormalized))
          throw UsersErrors.emailDomainNotAllowed();
        const user = em.create(User, {
          id: randomUUID(),
          tenantId,
          email,
          emailNormalized,
          name: input.name.trim(),
          role,
          status: 'pending',
          createdAt: new Date(),
          updatedAt: new Date(),
        });
        await em.flush();
        const token = await this.tokens.issue(em, { tenantId, userId: user.id }, 'invitation');
        await this.audit.record(
          {
            action: 'user.invite',
            outcome: 'success',
            tenantId,
            ...auditActor(actor),
            target: { type: 'user', id: user.id },
            riskTier: 2,
            params: { email, role },
          },
          em,
        );
        return { user, token, tenantName: tenant.name };
      });
    } catch (err) {
      // A concurrent invitation or sign-up took the email between the check and the insert.
      if (err instanceof UniqueConstraintViolationException)
        throw await refuse(UsersErrors.emailTaken());
      if (err instanceof ProblemError && err.status < 500 && err.status !== 404)
        throw await refuse(err);
      throw err;
    }
    return this.mailInvitation(result, inviterName);
  }

  /** A new invitation link for a pending user; the previous link stops working (`link-replaced`). */
  async resend(actor: UsersActor, userId: string): Promise<Invitation> {
    const tenantId = await this.access.tenantOfUser(actor, userId);
    const inviterName = await this.inviterName(actor);
    let result: { user: User; token: string; tenantName: string };
    try {
      result = await this.db.withTenant(tenantId, async (em) => {
        const user = await em.findOne(User, { id: userId });
        if (!user) throw UsersErrors.notFound();
        this.access.assertMayManage(actor, user);
        if (user.status !== 'pending') throw UsersErrors.notPending();
        const tenant = await readTenant(em, tenantId);
        if (!tenant) throw UsersErrors.tenantNotFound();
        const token = await this.tokens.issue(em, { tenantId, userId: user.id }, 'invitation');
        await this.audit.record(
          {
            action: 'user.invitation_resend',
            outcome: 'success',
            tenantId,
            ...auditActor(actor),
            target: { type: 'user', id: user.id },
            riskTier: 2,
          },
          em,
        );
        return { user, token, tenantName: tenant.name };
      });
    } catch (err) {
      if (err instanceof ProblemError && err.status < 500 && err.status !== 404) {
        throw await this.refused(actor, tenantId, 'user.invitation_resend', err, {}, userId);
      }
      throw err;
    }
    return this.mailInvitation(result, inviterName);
  }

  /** Mails the activation link (after the commit) and returns it to the caller (the CLI prints it). */
  private mailInvitation(
    result: { user: User; token: string; tenantName: string },
    inviterName: string | undefined,
  ): Invitation {
    const activationLink = this.mail.link(ACTIVATION_PATH, result.token);
    this.mail.enqueue('invitation', result.user.email, {
      name: result.user.name,
      inviterName,
      tenantName: result.tenantName,
      link: activationLink,
      expiresInDays: invitationDays(),
    });
    return { user: result.user, activationLink };
  }

  private async scopeTenant(actor: UsersActor, scope: InviteScope): Promise<string> {
    if ('tenantSlug' in scope) {
      const tenant = await this.preTenant.tenantBySlug(scope.tenantSlug);
      if (!tenant) throw UsersErrors.tenantNotFound();
      return this.access.tenantFor(actor, tenant.id);
    }
    return this.access.tenantFor(actor, scope.tenantId);
  }

  /** The inviting admin's name for the mail ("Alice has invited you"); none for an operator. */
  private async inviterName(actor: UsersActor): Promise<string | undefined> {
    if (actor.kind !== 'user') return undefined;
    const { tenantId, userId } = actor.principal;
    const [row] = await this.db.withTenant(tenantId, (em) =>
      em.execute<{ name: string }[]>('select name from users where id = ?', [userId]),
    );
    return row?.name;
  }

  /** Audits a refused invitation in its own transaction and hands the error back to throw. */
  private async refused(
    actor: UsersActor,
    tenantId: string,
    action: 'user.invite' | 'user.invitation_resend',
    err: ProblemError,
    params: Record<string, unknown>,
    userId?: string,
  ): Promise<ProblemError> {
    await this.audit.recordRefusal({ action, tenantId, ...auditActor(actor), target: { type: 'user', id: userId ?? null }, riskTier: 2, params }, err);
    return err;
  }
}
