import { ProblemError } from '@tessera/http';
import { OperatorActor, TenantRecord, TenantsService } from '@tessera/tenants';
import { userInfo } from 'node:os';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';

/** The operator at this terminal, named in the audit trail by OS user (no credential exists at the CLI). */
export function operatorActor(): OperatorActor {
  let id = process.env.USER ?? 'operator';
  try {
    id = userInfo().username || id;
  } catch {
    // No passwd entry (some containers): keep $USER.
  }
  return { kind: 'operator', id };
}

/** Expected refusals (slug taken, unknown parent...) are printed and exit 1; anything else propagates (exit 2). */
export function reportProblem(err: unknown): void {
  if (!(err instanceof ProblemError)) throw err;
  console.error(`${err.title}: ${err.detail ?? err.code}`);
  process.exitCode = 1;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}

@SubCommand({
  name: 'create',
  description: 'Create an active tenant under the platform root, or under --parent',
})
export class TenantsCreateCommand extends CommandRunner {
  constructor(private readonly tenants: TenantsService) {
    super();
  }

  @Option({ flags: '-n, --name <name>', description: 'display name', required: true })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '-s, --slug <slug>',
    description: 'unique slug (a-z0-9-); derived from the name when omitted',
  })
  parseSlug(value: string): string {
    return value;
  }

  @Option({
    flags: '-p, --parent <slug>',
    description: 'parent tenant slug (default: the platform root)',
  })
  parseParent(value: string): string {
    return value;
  }

  async run(
    _params: string[],
    options: { name: string; slug?: string; parent?: string },
  ): Promise<void> {
    const actor = operatorActor();
    try {
      const parent = options.parent
        ? await this.tenants.getBySlug(actor, options.parent)
        : undefined;
      const tenant = await this.tenants.create(actor, {
        name: options.name,
        slug: options.slug,
        parentId: parent?.id,
      });
      console.log(
        `created tenant ${tenant.slug} (${tenant.id}), ${tenant.status}, under ${parent?.slug ?? 'platform'}`,
      );
    } catch (err) {
      reportProblem(err);
    }
  }
}

@SubCommand({ name: 'list', description: 'List every tenant, or the direct children of --parent' })
export class TenantsListCommand extends CommandRunner {
  constructor(private readonly tenants: TenantsService) {
    super();
  }

  @Option({ flags: '-p, --parent <slug>', description: 'only the direct children of this tenant' })
  parseParent(value: string): string {
    return value;
  }

  async run(_params: string[], options: { parent?: string }): Promise<void> {
    const actor = operatorActor();
    try {
      let tenants: TenantRecord[];
      const slugOf = new Map<string, string>();
      if (options.parent) {
        const parent = await this.tenants.getBySlug(actor, options.parent);
        slugOf.set(parent.id, parent.slug);
        tenants = [];
        let cursor: string | undefined;
        do {
          const page = await this.tenants.children(actor, parent.id, { limit: 200, cursor });
          tenants.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      } else {
        tenants = await this.tenants.subtree(actor);
        for (const t of tenants) slugOf.set(t.id, t.slug);
      }
      const rows = tenants.map((t) => [
        t.slug,
        t.name,
        t.status,
        t.id,
        t.parentId ? (slugOf.get(t.parentId) ?? t.parentId) : '-',
      ]);
      printTable([['SLUG', 'NAME', 'STATUS', 'ID', 'PARENT'], ...rows]);
      console.log(`${tenants.length} tenant${tenants.length === 1 ? '' : 's'}`);
    } catch (err) {
      reportProblem(err);
    }
  }
}

@Command({
  name: 'tenants',
  description: 'Tenant administration',
  subCommands: [TenantsCreateCommand, TenantsListCommand],
})
export class TenantsCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log(
      'usage: tenants create --name <name> [--slug <slug>] [--parent <slug>]\n       tenants list [--parent <slug>]',
    );
  }
}
