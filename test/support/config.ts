import { loadConfig, TesseraConfig } from '@tessera/config';

/** A fixed, non-placeholder master key for tests only. */
export const TEST_MASTER_KEY = Buffer.from('tessera-test-master-key-0123456789abcdef').toString('base64');

/**
 * The configuration every test instance runs with: the run's database as the application
 * role (migrations already applied by the global setup), the test master key. Light on
 * purpose (no app code), so module integration specs can use it too.
 */
export function testConfig(env: Record<string, string | undefined> = {}): TesseraConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.TEST_APP_DATABASE_URL,
    DATABASE_OWNER_URL: process.env.TEST_OWNER_DATABASE_URL,
    MIGRATE_ON_START: 'false',
    TESSERA_MASTER_KEY: TEST_MASTER_KEY,
    PUBLIC_URL: 'http://tessera.test',
    // The per-tenant and per-credential API limits (100/min, burst 200 in production) are
    // raised for tests that make many requests in one tenant; the machine-credentials spec
    // sets them back to the platform defaults where it tests them.
    RATE_LIMIT_TENANT_PER_MINUTE: '1000000',
    RATE_LIMIT_TENANT_BURST: '1000000',
    RATE_LIMIT_CREDENTIAL_PER_MINUTE: '1000000',
    RATE_LIMIT_CREDENTIAL_BURST: '1000000',
    ...env,
  });
}
