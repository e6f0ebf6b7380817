import { Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ApiKeysModule } from '@tessera/api-keys';
import { RateLimitModule } from '@tessera/rate-limit';
import { SessionsModule } from '@tessera/sessions';
import { ClientAuthentication } from './client-authentication.service';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsService } from './oauth-clients.service';
import { OAuthController, OAuthMetadataController } from './oauth.controller';
import { OAuthTokensService } from './oauth-tokens.service';

/**
 * OAuth 2.0 for machines: confidential clients (management API), the client-credentials
 * token endpoint, introspection, revocation and RFC 8414 metadata. Tokens come from
 * @tessera/sessions' signer and token cache; API keys from @tessera/api-keys.
 */
@Module({
  imports: [SessionsModule, ApiKeysModule, RateLimitModule],
  controllers: [OAuthController, OAuthMetadataController, OAuthClientsController],
  providers: [ClientAuthentication, OAuthTokensService, OAuthClientsService],
  exports: [ClientAuthentication, OAuthTokensService, OAuthClientsService],
})
export class OAuthModule implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly tokens: OAuthTokensService) {}

  onModuleInit(): void {
    this.tokens.lastUsed.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tokens.lastUsed.stop();
  }
}
