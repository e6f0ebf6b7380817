import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { GeneralRole } from '@tessera/auth';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { ProblemError } from '@tessera/http';
import { MailService } from '@tessera/mail';
import {
  InvitationService,
  operatorActor,
  UserImportError,
  UserImportService,
  UsersService,
} from '@tessera/users';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';

/** Who runs the command, for the audit trail (actor type `operator`). */
function operatorId(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}

/** An expected refusal (bad input, unknown tenant, taken email) is a message and exit 1, not a stack trace. */
function reportProblem(err: unknown): void {
  if (!(err instanceof ProblemError)) throw err;
  console.error(`${err.code}: ${err.detail ?? err.title}`);
  const errors = err.extensions.errors;
  if (Array.isArray(errors))
    for (const e of errors as { field: string; messages: string[] }[])
      console.error(`  ${e.field}: ${e.messages.join('; ')}`);
  process.exitCode = 1;
}

@SubCommand({
  name: 'invite',
  description: 'Invite a user into a tenant (pending until the activation link is used)',
})
export class UsersInviteCommand extends CommandRunner {
  constructor(
    private readonly invitations: InvitationService,
    private readonly mail: MailService,
    @InjectConfig() private readonly config: TesseraConfig,
  ) {
    super();
  }

  @Option({ flags: '-t, --tenant <slug>', description: 'tenant slug', required: true })
  parseTenant(value: string): string {
    return value;
  }

  @Option({ flags: '-e, --email <email>', description: 'email address', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '-n, --name <name>', description: 'display name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '-r, --role <role>',
    description: 'member | tenant_admin | domain_admin | system_admin (default member)',
  })
  parseRole(value: string): string {
    return value;
  }

  async run(
    _params: string[],
    options: { tenant: string; email: string; name: string; role?: string },
  ): Promise<void> {
    try {
      const { user, activationLink } = await this.invitations.invite(
        operatorActor(operatorId()),
        {
          email: options.email,
          name: options.name,
          role: (options.role ?? 'member') as GeneralRole,
        },
        { tenantSlug: options.tenant },
      );
      await this.mail.drain();
      console.log(`invited ${user.email} (${user.id}) into ${options.tenant} as ${user.role}`);
      // Console mail goes to a log an operator may not see; with real SMTP the link stays in the mail only.
      if (this.config.mail.mode === 'console')
        console.log(`activation link (single use, 7 days): ${activationLink}`);
    } catch (err) {
      reportProblem(err);
    }
  }
}

@SubCommand({ name: 'disable', description: 'Disable a user by email (its sessions are revoked)' })
export class UsersDisableCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  @Option({ flags: '-e, --email <email>', description: 'email address', required: true })
  parseEmail(value: string): string {
    return value;
  }

  async run(_params: string[], options: { email: string }): Promise<void> {
    try {
      const user = await this.users.disableByEmail(operatorActor(operatorId()), options.email);
      console.log(`disabled ${user.email} (${user.id})`);
    } catch (err) {
      reportProblem(err);
    }
  }
}

@SubCommand({
  name: 'import',
  description:
    'Import users from a CSV file: email,name,tenant_slug,role,bcrypt_hash (header required; all or nothing)',
})
export class UsersImportCommand extends CommandRunner {
  constructor(private readonly importer: UserImportService) {
    super();
  }

  @Option({ flags: '-f, --file <path>', description: 'CSV file', required: true })
  parseFile(value: string): string {
    return value;
  }

  async run(_params: string[], options: { file: string }): Promise<void> {
    let csv: string;
    try {
      csv = await readFile(options.file, 'utf8');
    } catch (err) {
      console.error(`cannot read ${options.file}: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    try {
      const imported = await this.importer.importCsv(csv, operatorId());
      console.log(`imported ${imported.length} user(s)`);
      for (const u of imported)
        console.log(`  line ${u.line}: ${u.email} → ${u.tenantSlug} as ${u.role} (${u.id})`);
    } catch (err) {
      if (err instanceof UserImportError) {
        console.error(`import refused, nothing was written (${err.problems.length} problem(s)):`);
        for (const p of err.problems) console.error(`  line ${p.line}: ${p.message}`);
        process.exitCode = 1;
        return;
      }
      reportProblem(err);
    }
  }
}

@Command({
  name: 'users',
  description: 'User administration',
  subCommands: [UsersInviteCommand, UsersDisableCommand, UsersImportCommand],
})
export class UsersCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log(
      'usage: users invite --tenant <slug> --email <e> --name <n> [--role member] | users disable --email <e> | users import --file users.csv',
    );
  }
}
