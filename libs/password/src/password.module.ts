import { DynamicModule, Module } from '@nestjs/common';
import {
  PASSWORD_HASHER_OPTIONS,
  PasswordHasher,
  type PasswordHasherOptions,
} from './password-hasher.service';
import { PasswordPolicyService } from './password-policy.service';

/**
 * Password policy and hashing. No routes, no tables: the modules that own users call it.
 * Import it plainly for the OWASP defaults, or through register() to raise the argon2
 * parameters.
 */
@Module({
  providers: [PasswordPolicyService, PasswordHasher],
  exports: [PasswordPolicyService, PasswordHasher],
})
export class PasswordModule {
  static register(options: PasswordHasherOptions): DynamicModule {
    return {
      module: PasswordModule,
      providers: [{ provide: PASSWORD_HASHER_OPTIONS, useValue: options }],
    };
  }
}
