import { Injectable } from '@nestjs/common';
import { Authenticator } from './principal';

/** Credential modules register their authenticator here at init (one per credential type). */
@Injectable()
export class AuthenticatorRegistry {
  private readonly authenticators: Authenticator[] = [];

  register(authenticator: Authenticator): void {
    if (this.authenticators.some((a) => a.name === authenticator.name)) {
      throw new Error(`authenticator ${authenticator.name} registered twice`);
    }
    this.authenticators.push(authenticator);
  }

  find(authorization: string): Authenticator | undefined {
    return this.authenticators.find((a) => a.supports(authorization));
  }

  names(): string[] {
    return this.authenticators.map((a) => a.name);
  }
}
