import { Migration20261123000001Foundation } from './20261123000001-foundation';
import { Migration20261123000002Accounts } from './20261123000002-accounts';
import { Migration20261123000011Users } from './20261123000011-users';
import { Migration20261123000020Sessions } from './20261123000020-sessions';
import { Migration20261123000021MeProfile } from './20261123000021-me-profile';
import { Migration20261123000022SessionFastPaths } from './20261123000022-session-fast-paths';
import { Migration20261123000023RefreshRotate } from './20261123000023-refresh-rotate';
import { Migration20261123000030Rbac } from './20261123000030-rbac';
import { Migration20261123000031AuditLanes } from './20261123000031-audit-lanes';
import { Migration20261123000040MachineCredentials } from './20261123000040-machine-credentials';
import { Migration20261123000050Mfa } from './20261123000050-mfa';
import { Migration20261123000060AuditChainHeads } from './20261123000060-audit-chain-heads';
import { Migration20261124000070RefreshRotateMany } from './20261124000070-refresh-rotate-many';
import { Migration20261124000071RefreshItemOneSessionWrite } from './20261124000071-refresh-item-one-session-write';
import { Migration20261124000072LookupsKeepPlans } from './20261124000072-lookups-keep-plans';
import { Migration20261124000073SessionRetention } from './20261124000073-session-retention';
import { Migration20261124000090LoginStatements } from './20261124000090-login-statements';

/**
 * Every migration, in order. Listed explicitly (no folder scanning) so the compiled app,
 * the CLI and the tests all run exactly the same list.
 */
export const MIGRATIONS = [
  { name: '20261123000001-foundation', class: Migration20261123000001Foundation },
  { name: '20261123000002-accounts', class: Migration20261123000002Accounts },
  { name: '20261123000011-users', class: Migration20261123000011Users },
  { name: '20261123000020-sessions', class: Migration20261123000020Sessions },
  { name: '20261123000021-me-profile', class: Migration20261123000021MeProfile },
  { name: '20261123000022-session-fast-paths', class: Migration20261123000022SessionFastPaths },
  { name: '20261123000023-refresh-rotate', class: Migration20261123000023RefreshRotate },
  { name: '20261123000030-rbac', class: Migration20261123000030Rbac },
  { name: '20261123000031-audit-lanes', class: Migration20261123000031AuditLanes },
  { name: '20261123000040-machine-credentials', class: Migration20261123000040MachineCredentials },
  { name: '20261123000050-mfa', class: Migration20261123000050Mfa },
  { name: '20261123000060-audit-chain-heads', class: Migration20261123000060AuditChainHeads },
  { name: '20261124000070-refresh-rotate-many', class: Migration20261124000070RefreshRotateMany },
  { name: '20261124000071-refresh-item-one-session-write', class: Migration20261124000071RefreshItemOneSessionWrite },
  { name: '20261124000072-lookups-keep-plans', class: Migration20261124000072LookupsKeepPlans },
  { name: '20261124000073-session-retention', class: Migration20261124000073SessionRetention },
  { name: '20261124000090-login-statements', class: Migration20261124000090LoginStatements },
];
