import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '@tessera/auth';
import { TenantDb } from '@tessera/database';
import { HttpMetrics, ProblemError } from '@tessera/http';
import { KeyValueStore, KV_STORE } from '@tessera/store';

type Check = { status: 'up' | 'down'; kind?: string };

@ApiTags('operations')
@Controller()
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly db: TenantDb,
    @Inject(KV_STORE) private readonly store: KeyValueStore,
    private readonly metrics: HttpMetrics,
  ) {}

  @Public()
  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  live() {
    return { status: 'ok' };
  }

  @Public()
  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL and the token/limit store answer.' })
  async ready() {
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 2000).unref())]);
    const [database, store] = await Promise.all([
      timeout(this.db.ping()).then((): Check => ({ status: 'up' }), (): Check => ({ status: 'down' })),
      timeout(this.store.ping()).then(
        (): Check => ({ status: 'up', kind: this.store.kind }),
        (): Check => ({ status: 'down', kind: this.store.kind }),
      ),
    ]);
    const checks = { database, store };
    if (database.status === 'down' || store.status === 'down') {
      throw new ProblemError(503, 'not-ready', 'Not ready', 'A dependency is down.', { checks }, { 'Retry-After': '5' });
    }
    return { status: 'ok', checks };
  }

  @Public()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics. Restrict at the proxy in production.' })
  async metricsText() {
    return this.metrics.registry.metrics();
  }
}
