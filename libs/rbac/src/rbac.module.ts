import { Module } from '@nestjs/common';
import { UsersModule } from '@tessera/users';
import { RoleAssignmentService } from './role-assignment.service';
import { PermissionsController, RolesController, UserRolesController } from './roles.controller';
import { RolesService } from './roles.service';

/**
 * Roles: the permission registry over HTTP, custom task roles per tenant, and role
 * assignment. The registry, the guard and the authorization cache live in @tessera/auth.
 */
@Module({
  imports: [UsersModule],
  controllers: [RolesController, PermissionsController, UserRolesController],
  providers: [RolesService, RoleAssignmentService],
  exports: [RolesService, RoleAssignmentService],
})
export class RbacModule {}
