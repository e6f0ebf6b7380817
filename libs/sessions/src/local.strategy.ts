import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ProblemError } from '@tessera/http';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import { LoginDto } from './dto/login.dto';
import { PasswordVerifiedUser } from './login-gate';
import { LoginService } from './login.service';

/**
 * Passport's local strategy for POST /v1/auth/login. Guards run before pipes, so the body
 * is validated here, in full, before any password work (oversized passwords never hash).
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly login: LoginService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  async validate(req: FastifyRequest, _email: string, _password: string): Promise<PasswordVerifiedUser> {
    const dto = plainToInstance(LoginDto, req.body ?? {});
    const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: false, value: false } });
    if (errors.length) {
      throw ProblemError.badRequest('validation-failed', 'The request is not valid', 'One or more fields are invalid.', {
        errors: errors.map((e) => ({ field: e.property, messages: Object.values(e.constraints ?? {}) })),
      });
    }
    return this.login.verifyPassword(dto.email, dto.password, dto.tenant);
  }
}
