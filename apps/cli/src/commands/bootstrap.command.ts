import { AccountTokenService } from '@tessera/account-tokens';
import { AuditService } from '@tessera/audit';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { PLATFORM_TENANT_ID, PreTenantLookup, TenantDb } from '@tessera/database';
import { cleanEmail, normalizeEmail } from '@tessera/users';
import { isEmail } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { operatorActor } from './tenants.command';

type Outcome = { created: { userId: string; token: string } } | { refused: string };

/**
 * First start of a platform: the root tenant exists from the migrations; this creates
 * its first system admin (pending, no password) and prints a one-time activation link
 * (an `invitation` token: single use, 7 days, only its digest stored). Refuses while any
 * system admin exists, so it cannot be used to mint a second way in.
 */
@Command({
  name: 'bootstrap',
  description:
    'Create the first system admin and print a one-time activation link (refuses if a system admin exists)',
})
export class BootstrapCommand extends CommandRunner {
  constructor(
    @InjectConfig() private readonly config: TesseraConfig,
    private readonly db: TenantDb,
    private readonly lookup: PreTenantLookup,
    private readonly tokens: AccountTokenService,
    private readonly audit: AuditService,
  ) {
    super();
  }

  @Option({
    flags: '-e, --email <email>',
    description: "the first system admin's email",
    required: true,
  })
  parseEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '-n, --name <name>',
    description: "the first system admin's name",
    required: true,
  })
  parseName(value: string): string {
    return value;
  }

  async run(_params: string[], options: { email: string; name: string }): Promise<void> {
    const email = cleanEmail(options.email);
    const name = options.name.normalize('NFKC').trim();
    if (!isEmail(email) || email.length > 320) {
      console.error('--email is not a valid email address.');
      process.exitCode = 2;
      return;
    }
    if (!name || name.length > 200 || /\p{Cc}/u.test(name)) {
      console.error('--name must be 1-200 characters without control characters.');
      process.exitCode = 2;
      return;
    }
    const emailNormalized = normalizeEmail(email);
    const operator = operatorActor();
    const actor = { type: 'operator' as const, id: operator.id ?? null };

    const outcome = await this.db.withTenant(PLATFORM_TENANT_ID, async (em): Promise<Outcome> => {
      // Two bootstraps at once must not both see "no system admin yet".
      await em.execute(`select pg_advisory_xact_lock(hashtextextended('tessera.bootstrap', 0))`);
      // System admins are users of the platform root tenant, the one this transaction sees.
      const [{ n }] = await em.execute<{ n: number }[]>(
        `select count(*)::int as n from users where role = 'system_admin'`,
      );
      if (n > 0)
        return {
          refused:
            'a system admin already exists; use the API or `users invite` to add administrators',
        };
      if (await this.lookup.userByEmail(emailNormalized))
        return { refused: 'a user with this email already exists on the platform' };
      const [user] = await em.execute<{ id: string }[]>(
        `insert into users (tenant_id, email, email_normalized, name, status, role)
         values (?, ?, ?, ?, 'pending', 'system_admin') returning id`,
        [PLATFORM_TENANT_ID, email, emailNormalized, name],
      );
      const token = await this.tokens.issue(
        em,
        { tenantId: PLATFORM_TENANT_ID, userId: user.id },
        'invitation',
      );
      await this.audit.record(
        {
          action: 'platform.bootstrap',
          outcome: 'success',
          tenantId: PLATFORM_TENANT_ID,
          actor,
          credential: { type: 'cli' },
          target: { type: 'user', id: user.id },
          riskTier: 3,
          params: { email, name, role: 'system_admin' },
        },
        em,
      );
      return { created: { userId: user.id, token } };
    });

    if ('refused' in outcome) {
      await this.audit.record({
        action: 'platform.bootstrap',
        outcome: 'failure',
        decision: 'deny',
        tenantId: PLATFORM_TENANT_ID,
        actor,
        credential: { type: 'cli' },
        reason: outcome.refused,
      });
      console.error(`bootstrap refused: ${outcome.refused}.`);
      process.exitCode = 1;
      return;
    }
    const link = `${this.config.http.publicUrl}/activate?${new URLSearchParams({ token: outcome.created.token })}`;
    console.log(
      `Created the first system admin ${email} (user ${outcome.created.userId}), pending activation.`,
    );
    console.log(
      'Open this one-time activation link to set the password (valid 7 days, single use, not shown again):',
    );
    console.log(`  ${link}`);
  }
}
