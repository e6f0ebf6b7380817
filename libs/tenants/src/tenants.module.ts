import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { TenantAccess } from '@tessera/auth';
import { Tenant } from './tenant.entity';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

/**
 * Tenants and their tree. TenantAccess is provided here as well as by the global
 * AuthModule so the module also works in the CLI, which has no HTTP guard chain
 * (TenantAccess is stateless; it only needs TenantDb).
 */
@Module({
  imports: [MikroOrmModule.forFeature([Tenant])],
  controllers: [TenantsController],
  providers: [TenantsService, TenantAccess],
  exports: [TenantsService],
})
export class TenantsModule {}
