import { DynamicModule, Global, Module } from '@nestjs/common';
import { SIGNING_KEYS_MODULE_OPTIONS, SigningKeyOptions } from './signing-key.options';
import { SigningKeyScheduler } from './signing-key.scheduler';
import { SigningKeyService } from './signing-key.service';
import { SigningKeysAdminController } from './signing-keys-admin.controller';
import { WellKnownController } from './well-known.controller';

/**
 * Platform token signing keys and the discovery documents. Global: the access-token issuer
 * and verifier (Sessions) and later OAuth modules all use the one SigningKeyService.
 * Needs DatabaseModule, AuditModule and ConfigModule (TESSERA_MASTER_KEY).
 *
 * - `SigningKeysModule` (the API): ensures an active key at start and runs the rotation schedule.
 * - `SigningKeysModule.forCli()`: neither (the CLI's `migrate` runs before the table exists).
 * - `SigningKeysModule.forRoot(overrides)`: explicit option overrides (tests).
 */
@Global()
@Module({
  controllers: [WellKnownController, SigningKeysAdminController],
  providers: [SigningKeyService, SigningKeyScheduler],
  exports: [SigningKeyService],
})
export class SigningKeysModule {
  static forRoot(overrides: Partial<SigningKeyOptions> = {}): DynamicModule {
    return {
      module: SigningKeysModule,
      providers: [{ provide: SIGNING_KEYS_MODULE_OPTIONS, useValue: overrides }],
    };
  }

  static forCli(): DynamicModule {
    return SigningKeysModule.forRoot({ manageKeys: false });
  }
}
