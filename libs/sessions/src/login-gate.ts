import { Injectable } from '@nestjs/common';

/** What the password step proved: this active user of an active tenant gave the right password. */
export interface PasswordVerifiedUser {
  id: string;
  tenantId: string;
}

/**
 * The answer of a gate that stops a password login before it gets tokens (the MFA module:
 * `{ mfa_required, mfa_token, methods }` or `{ mfa_enrollment_required, enrollment_token }`).
 */
export type LoginInterruption = Record<string, unknown> &
  ({ mfa_required: true } | { mfa_enrollment_required: true });

export interface LoginGate {
  /** Null lets the login go on to a session; anything else is the login's response instead. */
  afterPassword(user: PasswordVerifiedUser): Promise<LoginInterruption | null>;
}

/**
 * Where a later step of login plugs in without Sessions depending on it (the MFA module
 * registers itself at init, as authenticators do in @tessera/auth). One gate at most.
 */
@Injectable()
export class LoginGates {
  private gate: LoginGate | null = null;

  register(gate: LoginGate): void {
    if (this.gate) throw new Error('a login gate is already registered');
    this.gate = gate;
  }

  afterPassword(user: PasswordVerifiedUser): Promise<LoginInterruption | null> {
    return this.gate ? this.gate.afterPassword(user) : Promise.resolve(null);
  }
}
