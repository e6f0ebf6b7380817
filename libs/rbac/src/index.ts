export * from './rbac.module';
export * from './roles.service';
export * from './role-assignment.service';
export * from './rbac.errors';
export * from './dto/roles.dto';
