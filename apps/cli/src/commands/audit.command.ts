import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { verifyAuditChain } from '@tessera/audit';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { Client } from 'pg';

@SubCommand({
  name: 'verify',
  description: "Re-check a tenant's audit hash chain and report the first broken link (exit 1 when broken)",
})
export class AuditVerifyCommand extends CommandRunner {
  constructor(@InjectConfig() private readonly config: TesseraConfig) {
    super();
  }

  @Option({ flags: '-t, --tenant <slug>', description: 'tenant slug or id; "none" for the chain of events with no tenant (e.g. unauthenticated denials)', required: true })
  parseTenant(value: string): string {
    return value;
  }

  async run(_params: string[], options: { tenant: string }): Promise<void> {
    const ownerUrl = this.config.database.ownerUrl;
    if (!ownerUrl) {
      console.error('DATABASE_OWNER_URL (the owner role) is required: verification reads every row of the chain.');
      process.exitCode = 2;
      return;
    }
    let tenantId: string | null = null;
    if (options.tenant !== 'none') {
      const c = new Client({ connectionString: ownerUrl });
      await c.connect();
      try {
        const r = await c.query<{ id: string }>('select id from tenants where slug = $1 or id::text = $1', [options.tenant]);
        if (!r.rowCount) {
          console.error(`no tenant "${options.tenant}"`);
          process.exitCode = 2;
          return;
        }
        tenantId = r.rows[0].id;
      } finally {
        await c.end();
      }
    }
    const result = await verifyAuditChain(ownerUrl, tenantId);
    if (result.ok) {
      console.log(`audit chain OK: ${result.checked} events verified for ${options.tenant} (${result.lanes ?? 0} lanes)`);
    } else {
      const b = result.firstBroken!;
      console.log(`audit chain BROKEN for ${options.tenant} in lane ${b.lane} at seq ${b.seq}${b.id ? ` (event ${b.id})` : ''}: ${b.problem}; ${result.checked} events before it verified`);
      process.exitCode = 1;
    }
  }
}

@Command({ name: 'audit', description: 'Audit trail tools', subCommands: [AuditVerifyCommand] })
export class AuditCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log('usage: audit verify --tenant <slug|none>');
  }
}
