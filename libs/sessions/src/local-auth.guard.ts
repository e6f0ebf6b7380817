import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ProblemError } from '@tessera/http';
import { invalidCredentials } from './login.service';

/** The route guard that runs the local strategy, with our problem types for its refusals. */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override handleRequest<TUser>(err: unknown, user: TUser | false, info?: { message?: string }): TUser {
    if (err) throw err;
    if (!user) {
      if (info?.message === 'Missing credentials') {
        throw ProblemError.badRequest('validation-failed', 'The request is not valid', 'email and password are required.', {
          errors: [{ field: 'email', messages: ['email and password are required'] }],
        });
      }
      throw invalidCredentials();
    }
    return user;
  }
}
