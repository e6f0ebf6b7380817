import { Module } from '@nestjs/common';
import { AuditEventsController } from './audit-events.controller';
import { AuditQueryService } from './audit-query.service';

/**
 * The read side of the audit trail: query and export for tenant admins (the RBAC issue moves
 * it to `audit:read` and the `auditor` task role). A lib of its own so that @tessera/audit,
 * which the guards use to write, depends on nothing that depends on it.
 */
@Module({
  controllers: [AuditEventsController],
  providers: [AuditQueryService],
  exports: [AuditQueryService],
})
export class AuditEventsModule {}
