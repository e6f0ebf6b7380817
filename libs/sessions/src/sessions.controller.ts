import { Body, Controller, Delete, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Req, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessDenials, CurrentPrincipal, CurrentSession, Principal, UserPrincipal, Public, RequirePermissions, TenantAccess } from '@tessera/auth';
import { ProblemError } from '@tessera/http';
import { RateLimit } from '@tessera/rate-limit';
import type { FastifyRequest } from 'fastify';
import { RefreshDto, TokenResponseDto } from './dto/login.dto';
import { LocalAuthGuard } from './local-auth.guard';
import { LoginGates, LoginInterruption, PasswordVerifiedUser } from './login-gate';
import { ACR } from './session-policy';
import { SessionService, SessionView } from './session.service';
import { UserSessionsService } from './user-sessions.service';

@ApiTags('sessions')
@Controller('v1/auth')
export class AuthSessionsController {
  constructor(
    private readonly sessions: SessionService,
    private readonly denials: AccessDenials,
    private readonly gates: LoginGates,
  ) {}

  @Public()
  @RateLimit('auth')
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({
    summary:
      'Password login. 401 invalid-credentials for every failure, whatever its reason. When a second factor applies the answer is ' +
      '`{ mfa_required, mfa_token, methods }` (or `{ mfa_enrollment_required, enrollment_token }`) instead of tokens: see @tessera/mfa.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  async login(@Req() req: FastifyRequest & { user: PasswordVerifiedUser }): Promise<TokenResponseDto | LoginInterruption> {
    const u = req.user;
    const interrupted = await this.gates.afterPassword({ id: u.id, tenantId: u.tenantId });
    if (interrupted) return interrupted;
    const { sessionId: _sid, ...pair } = await this.sessions.start(
      { id: u.id, tenantId: u.tenantId },
      { method: 'password', amr: ['pwd'], acr: ACR.password },
    );
    return pair;
  }

  @Public()
  @RateLimit('auth')
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @ApiOperation({ summary: 'Rotate a refresh token: the old one is consumed; reusing it later revokes the session.' })
  @ApiOkResponse({ type: TokenResponseDto })
  refresh(@Body() body: RefreshDto): Promise<TokenResponseDto> {
    return this.sessions.refresh(body.refresh_token);
  }

  @RequirePermissions('self:write', { credentials: ['session'] })
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the current session: its access and refresh tokens stop working everywhere.' })
  @ApiNoContentResponse()
  async logout(@CurrentSession() p: UserPrincipal): Promise<void> {
    await this.sessions.revokeSession(p.tenantId, p.userId, p.sessionId, 'logout', { action: 'auth.logout', by: p });
  }

  @RequirePermissions('self:write', { credentials: ['session'] })
  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of the current user.' })
  @ApiNoContentResponse()
  async logoutAll(@CurrentSession() p: UserPrincipal): Promise<void> {
    await this.sessions.revokeUserSessions(p.tenantId, p.userId, 'logout_all', { action: 'auth.logout_all', by: p });
  }

  @RequirePermissions('self:read', { credentials: ['session'] })
  @Get('sessions')
  @ApiOperation({ summary: 'My live sessions.' })
  mySessions(@CurrentSession() p: UserPrincipal): Promise<SessionView[]> {
    return this.sessions.list(p.tenantId, p.userId, p.sessionId);
  }

  @RequirePermissions('self:write', { credentials: ['session'] })
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of my sessions.' })
  async endMySession(@CurrentSession() p: UserPrincipal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    const ok = await this.sessions.revokeSession(p.tenantId, p.userId, id, 'user_terminated', { action: 'session.terminate', by: p });
    if (!ok) {
      // Not one of the caller's sessions (another user's, another tenant's, or none): 404, audited.
      await this.denials.record('session not among the caller’s own', p, { target: { type: 'session', id } });
      throw ProblemError.notFound('No such session.');
    }
  }
}

@ApiTags('sessions')
@Controller('v1/users/:userId/sessions')
export class UserSessionsController {
  constructor(
    private readonly userSessions: UserSessionsService,
    private readonly _access: TenantAccess,
  ) {}

  @RequirePermissions('sessions:read')
  @Get()
  @ApiOperation({ summary: "A user's live sessions (admins of its tenant or above)." })
  list(@CurrentPrincipal() p: Principal, @Param('userId', new ParseUUIDPipe()) userId: string): Promise<SessionView[]> {
    return this.userSessions.list(p, userId);
  }

  @RequirePermissions('sessions:revoke')
  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Terminate every session of a user." })
  async terminateAll(@CurrentPrincipal() p: Principal, @Param('userId', new ParseUUIDPipe()) userId: string): Promise<void> {
    await this.userSessions.terminateAll(p, userId);
  }

  @RequirePermissions('sessions:revoke')
  @Delete(':sessionId')
  @HttpCode(204)
  @ApiOperation({ summary: "Terminate one session of a user." })
  async terminate(
    @CurrentPrincipal() p: Principal,
    @Param('userId', new ParseUUIDPipe()) userId: string,
    @Param('sessionId', new ParseUUIDPipe()) sessionId: string,
  ): Promise<void> {
    await this.userSessions.terminate(p, userId, sessionId);
  }
}
