export * from './audit-query.service';
export * from './audit-export';
export * from './dto/audit-event.dto';
export * from './dto/audit-events.query';
export * from './audit-events.module';
