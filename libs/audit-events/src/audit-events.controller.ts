import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermissions, type Principal } from '@tessera/auth';
import type { FastifyReply } from 'fastify';
import { AUDIT_EXPORT_CONTENT_TYPE, auditExportStream } from './audit-export';
import { AuditQueryService } from './audit-query.service';
import { AuditEventListDto, toAuditEventDto } from './dto/audit-event.dto';
import { ExportAuditEventsQueryDto, ListAuditEventsQueryDto } from './dto/audit-events.query';

/**
 * The read side of the audit trail: `audit:read` and `audit:export`, held by tenant admins
 * and above and by the `auditor` task role. Scope: the caller's tenant; `?tenantId=` a tenant it may act in; `?subtree=true`
 * that tenant and its descendants (domain_admin and above).
 */
@ApiTags('audit')
@Controller('v1/audit-events')
export class AuditEventsController {
  constructor(private readonly query: AuditQueryService) {}

  @Get()
  @RequirePermissions('audit:read')
  @ApiOperation({
    summary: 'Query audit events, newest first, with filters and cursor pagination.',
  })
  @ApiOkResponse({ type: AuditEventListDto })
  @ApiBadRequestResponse({ description: 'validation-failed, invalid-cursor, invalid-time-range' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() q: ListAuditEventsQueryDto,
  ): Promise<AuditEventListDto> {
    const { tenantId, subtree, cursor, limit, ...filter } = q;
    const scope = await this.query.resolveScope(principal, { tenantId, subtree });
    const page = await this.query.page(scope, filter, { cursor, limit });
    return { items: page.items.map(toAuditEventDto), nextCursor: page.nextCursor };
  }

  @Get('export')
  @RequirePermissions('audit:export')
  @ApiOperation({
    summary:
      'Export every matching audit event (newest first) as NDJSON or CSV, streamed page by page. The export is itself audited (audit.export).',
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description: 'NDJSON: one AuditEventDto per line. CSV: header row, one row per event.',
  })
  @ApiBadRequestResponse({ description: 'validation-failed, invalid-time-range' })
  async export(
    @CurrentPrincipal() principal: Principal,
    @Query() q: ExportAuditEventsQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const { tenantId, subtree, format = 'ndjson', ...filter } = q;
    const scope = await this.query.resolveScope(principal, { tenantId, subtree });
    // Refuse a bad filter before the export is recorded or any byte is sent.
    this.query.assertValidFilter(filter);
    await this.query.recordExport(principal, scope, filter, format);
    const name = `audit-${await this.query.exportName(scope)}-${new Date().toISOString().slice(0, 10)}.${format}`;
    reply.header('cache-control', 'no-store');
    return new StreamableFile(auditExportStream(this.query.all(scope, filter), format), {
      type: AUDIT_EXPORT_CONTENT_TYPE[format],
      disposition: `attachment; filename="${name}"`,
    });
  }
}
