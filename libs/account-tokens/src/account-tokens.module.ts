import { Module } from '@nestjs/common';
import { AccountTokenService } from './account-token.service';

@Module({ providers: [AccountTokenService], exports: [AccountTokenService] })
export class AccountTokensModule {}
