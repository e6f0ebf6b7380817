import { Migration20261123000001Foundation } from './20261123000001-foundation';

/**
 * Every migration, in order. Listed explicitly (no folder scanning) so the compiled app,
 * the CLI and the tests all run exactly the same list.
 */
export const MIGRATIONS = [{ name: '20261123000001-foundation', class: Migration20261123000001Foundation }];
