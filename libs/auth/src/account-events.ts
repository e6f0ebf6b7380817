import { Injectable, Logger } from '@nestjs/common';

/**
 * Events other modules react to. The Sessions issue subscribes to revoke tokens when a
 * user's credentials or status change; handlers run after the change has committed.
 */
export type AccountEvent =
  | { type: 'user.disabled'; tenantId: string; userId: string }
  | { type: 'user.deleted'; tenantId: string; userId: string }
  | { type: 'user.password_changed'; tenantId: string; userId: string; reason: 'change' | 'reset' | 'activation' }
  /** Gained a tier-3 permission (e.g. promoted to admin): sessions from a weaker login end, so MFA applies. */
  | { type: 'user.elevated'; tenantId: string; userId: string }
  | { type: 'tenant.suspended'; tenantId: string }
  /** Display data changed (name, email verification; a tenant's name or slug): caches drop it. */
  | { type: 'user.profile_changed'; tenantId: string; userId: string }
  | { type: 'tenant.profile_changed'; tenantId: string };

type Handler = (event: AccountEvent) => Promise<void> | void;

@Injectable()
export class AccountEvents {
  private readonly logger = new Logger('AccountEvents');
  private readonly handlers: Handler[] = [];

  subscribe(handler: Handler): void {
    this.handlers.push(handler);
  }

  /** Awaits every handler: revocation must be done before the response says "done". */
  async publish(event: AccountEvent): Promise<void> {
    for (const h of this.handlers) {
      try {
        await h(event);
      } catch (err) {
        this.logger.error({ err, event: event.type }, 'account event handler failed');
        throw err;
      }
    }
  }
}
