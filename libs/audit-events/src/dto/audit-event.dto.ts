import { ApiProperty } from '@nestjs/swagger';

export class AuditActorDto {
  @ApiProperty({ example: 'user' })
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

export class AuditCredentialDto {
  @ApiProperty({ type: String, nullable: true, example: 'access_token' })
  type!: string | null;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;

  @ApiProperty({ description: 'A test-mode credential.' })
  test!: boolean;
}

export class AuditTargetDto {
  @ApiProperty({ type: String, nullable: true })
  type!: string | null;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

/** One row of the audit trail, every column (DESIGN.md "Audit"). */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  tenantId!: string | null;

  @ApiProperty({ description: "Which of the tenant's hash chains (lanes) the event is in." })
  lane!: number;

  @ApiProperty({ description: 'Position in its lane’s hash chain (gapless from 1).' })
  seq!: number;

  @ApiProperty({ format: 'date-time', example: '2026-11-23T10:15:30.123456Z' })
  occurredAt!: string;

  @ApiProperty({ type: AuditActorDto })
  actor!: AuditActorDto;

  @ApiProperty({ type: AuditCredentialDto })
  credential!: AuditCredentialDto;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ type: AuditTargetDto })
  target!: AuditTargetDto;

  @ApiProperty({ type: String, nullable: true, description: 'Route pattern.' })
  route!: string | null;

  @ApiProperty({ type: String, nullable: true })
  method!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Redacted parameters.' })
  params!: Record<string, unknown>;

  @ApiProperty({ type: Number, nullable: true, minimum: 1, maximum: 4 })
  riskTier!: number | null;

  @ApiProperty({ enum: ['allow', 'deny'] })
  decision!: 'allow' | 'deny';

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: 'success' | 'failure';

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty()
  hash!: string;

  @ApiProperty({ type: String, nullable: true })
  prevHash!: string | null;
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto] })
  items!: AuditEventDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page.' })
  nextCursor!: string | null;
}

/** An audit_events row as selected by AuditQueryService (occurred_at already ISO text). */
export interface AuditEventRow {
  id: string;
  tenant_id: string | null;
  lane: number;
  seq: string;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  credential_type: string | null;
  credential_id: string | null;
  credential_test: boolean;
  action: string;
  target_type: string | null;
  target_id: string | null;
  route: string | null;
  method: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  params: Record<string, unknown>;
  risk_tier: number | null;
  decision: 'allow' | 'deny';
  outcome: 'success' | 'failure';
  reason: string | null;
  hash: string;
  prev_hash: string | null;
}

export function toAuditEventDto(r: AuditEventRow): AuditEventDto {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    lane: r.lane,
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    actor: { type: r.actor_type, id: r.actor_id },
    credential: { type: r.credential_type, id: r.credential_id, test: r.credential_test },
    action: r.action,
    target: { type: r.target_type, id: r.target_id },
    route: r.route,
    method: r.method,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    params: r.params,
    riskTier: r.risk_tier,
    decision: r.decision,
    outcome: r.outcome,
    reason: r.reason,
    hash: r.hash,
    prevHash: r.prev_hash,
  };
}
