import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { MailModule } from '@tessera/mail';
import { PasswordModule } from '@tessera/password';
import { UsersModule } from '@tessera/users';
import { AccessTokenService } from './access-token.service';
import { BruteForceProtection } from './brute-force.service';
import { JwtAuthenticator } from './jwt.authenticator';
import { LocalAuthGuard } from './local-auth.guard';
import { LocalStrategy } from './local.strategy';
import { LoginGates } from './login-gate';
import { LoginService } from './login.service';
import { MeSessionController } from './me.controller';
import { ProfileCache } from './profile-cache.service';
import { SessionRetention } from './session-retention.service';
import { SessionService } from './session.service';
import { AuthSessionsController, UserSessionsController } from './sessions.controller';
import { TokenCache } from './token-cache.service';
import { UserSessionsService } from './user-sessions.service';

/**
 * Password login, access and refresh tokens, sessions and their revocation. Signing keys
 * come from @tessera/signing-keys (global); the token cache from @tessera/store.
 */
@Module({
  imports: [PassportModule.register({ session: false }), UsersModule, MailModule, PasswordModule],
  controllers: [AuthSessionsController, UserSessionsController, MeSessionController],
  providers: [
    AccessTokenService,
    TokenCache,
    SessionService,
    BruteForceProtection,
    LoginService,
    LocalStrategy,
    LocalAuthGuard,
    JwtAuthenticator,
    UserSessionsService,
    LoginGates,
    ProfileCache,
    SessionRetention,
  ],
  exports: [SessionService, AccessTokenService, TokenCache, LoginGates, SessionRetention],
})
export class SessionsModule {}
