import { SigningKeyRecord, SigningKeyService } from '@tessera/signing-keys';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { operatorActor } from './tenants.command';

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

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

@SubCommand({ name: 'list', description: 'List the token signing keys (never their private keys)' })
export class KeysListCommand extends CommandRunner {
  constructor(private readonly keys: SigningKeyService) {
    super();
  }

  async run(): Promise<void> {
    const keys: SigningKeyRecord[] = await this.keys.list();
    printTable([
      ['KID', 'STATUS', 'PUBLISHED', 'CREATED', 'ACTIVATED', 'RETIRED', 'PUBLISH_UNTIL'],
      ...keys.map((k) => [
        k.kid,
        k.status,
        k.published ? 'yes' : 'no',
        iso(k.createdAt),
        iso(k.activatedAt),
        iso(k.retiredAt),
        iso(k.publishUntil),
      ]),
    ]);
    console.log(`${keys.length} key${keys.length === 1 ? '' : 's'}`);
  }
}

@SubCommand({
  name: 'rotate',
  description:
    'Publish a new signing key; the API promotes it after the propagation delay. --now promotes it at once (key compromise): relying parties may refuse tokens until they refetch the JWKS',
})
export class KeysRotateCommand extends CommandRunner {
  constructor(private readonly keys: SigningKeyService) {
    super();
  }

  @Option({
    flags: '--now',
    description: 'promote the new key immediately instead of after the propagation delay',
  })
  parseNow(): boolean {
    return true;
  }

  async run(_params: string[], options: { now?: boolean } = {}): Promise<void> {
    const { id } = operatorActor();
    const r = await this.keys.rotate({
      immediate: options.now === true,
      actor: { type: 'operator', id: id ?? 'operator' },
    });
    if (r.status === 'active') {
      console.log(
        `signing key ${r.kid} is active now${r.previousKid ? `; ${r.previousKid} retired, published until ${iso(r.previousPublishUntil)}` : ''}`,
      );
    } else if (r.created) {
      console.log(
        `published ${r.kid} as the next signing key; the API promotes it from ${iso(r.promotableAt)} (or run: keys rotate --now)`,
      );
    } else {
      console.log(
        `a rotation is already in progress: ${r.kid} is the next key, promotable from ${iso(r.promotableAt)} (or run: keys rotate --now)`,
      );
    }
  }
}

@Command({
  name: 'keys',
  description: 'Token signing keys',
  subCommands: [KeysListCommand, KeysRotateCommand],
})
export class KeysCommand extends CommandRunner {
  async run(): Promise<void> {
    console.log('usage: keys list\n       keys rotate [--now]');
  }
}
