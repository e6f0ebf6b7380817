import { Module } from '@nestjs/common';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeysController, S2sTokensController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/**
 * API keys and S2S tokens: their routes, their authenticator (registered in @tessera/auth's
 * registry, chosen by the `Bearer tsr_` shape) and the batched last-use recorder.
 */
@Module({
  controllers: [ApiKeysController, S2sTokensController],
  providers: [ApiKeyAuthenticator, ApiKeysService],
  exports: [ApiKeyAuthenticator, ApiKeysService],
})
export class ApiKeysModule {}
