import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '@tessera/audit';
import { Principal, principalAudit } from './principal';
import { RiskTier } from './permissions';

/**
 * The one way a refused request is audited (`access.denied`, decision deny, with the reason
 * and the risk tier). The refusal stands whatever happens to its audit row; a failed write
 * is logged.
 */
@Injectable()
export class AccessDenials {
  private readonly logger = new Logger('Access');

  constructor(private readonly audit: AuditService) {}

  async record(
    reason: string,
    principal?: Principal,
    extra: { tier?: RiskTier | 0; target?: { type: string; id?: string | null } } = {},
  ): Promise<void> {
    try {
      await this.audit.record({
        action: 'access.denied',
        decision: 'deny',
        outcome: 'failure',
        ...(principal ? { tenantId: principal.tenantId, ...principalAudit(principal) } : {}),
        ...(extra.tier ? { riskTier: extra.tier } : {}),
        ...(extra.target ? { target: extra.target } : {}),
        reason,
      });
    } catch (err) {
      this.logger.error({ err }, 'could not audit a denied request');
    }
  }
}
