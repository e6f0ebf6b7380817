import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, TesseraConfig } from '@tessera/config';
import { AuditCommand, AuditVerifyCommand } from './commands/audit.command';
import { MigrateCommand } from './commands/migrate.command';

/** Operator commands. The CLI composes the same capability modules as the API. */
@Module({})
export class CliModule {
  static forRoot(config: TesseraConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(config)],
      providers: [MigrateCommand, AuditCommand, AuditVerifyCommand],
    };
  }
}
