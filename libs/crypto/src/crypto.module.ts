import { Global, Module } from '@nestjs/common';
import { SecretDigest } from './secret-digest.service';

@Global()
@Module({ providers: [SecretDigest], exports: [SecretDigest] })
export class CryptoModule {}
