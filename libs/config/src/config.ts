import { isIP } from 'node:net';

/**
 * Tessera's whole configuration, read once at boot from the environment.
 * Every variable is parsed here and only here; a missing or malformed one stops
 * the process with a message that names it (see ConfigError).
 */
export interface TesseraConfig {
  env: 'development' | 'test' | 'production';
  http: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimitBytes: number;
    corsOrigins: string[];
    /** CIDR list of proxies whose X-Forwarded-For we believe; empty = trust none. */
    trustedProxies: string[];
    /** Server processes sharing the port (node:cluster); > 1 needs external PostgreSQL and Redis. */
    workers: number;
  };
  database: {
    /** `embedded` starts PostgreSQL under dataDir; `external` uses the URLs below. */
    mode: 'embedded' | 'external';
    /** Application role: not superuser, not owner, no BYPASSRLS. */
    url?: string;
    /** Owner role: runs migrations. Optional in external mode (then migrate elsewhere). */
    ownerUrl?: string;
    poolMax: number;
    migrateOnStart: boolean;
  };
  /** `prefix` namespaces every key, so several deployments (or test runs) can share one Redis. */
  redis: { mode: 'redis' | 'memory'; url?: string; prefix: string };
  mail: { mode: 'smtp' | 'console'; url?: string; from: string };
  security: {
    /** 32+ bytes. In the embedded default a generated one is kept under dataDir. */
    masterKey?: Buffer;
  };
  rateLimit: {
    /** Requests per minute per client IP on each route (a coarse flood guard). */
    defaultPerMinute: number;
    /** Per client IP on each authentication route (login, sign-up, reset, ...). */
    authPerMinute: number;
    /**
     * Authenticated API requests, after authentication: per tenant, and per API key / S2S
     * token / OAuth client. Token buckets: `perMinute` sustained, bursts up to `burst`.
     * Platform defaults; each tenant may set its own (tenant settings `rateLimit`).
     */
    tenant: { perMinute: number; burst: number };
    credential: { perMinute: number; burst: number };
  };
  /**
   * Step-up (RFC 9470) for tier-3 permissions: when enabled, a session caller needs an
   * authentication newer than maxAgeSeconds whose `amr` holds one of strongAmr.
   */
  stepUp: { enabled: boolean; maxAgeSeconds: number; strongAmr: string[] };
  /** Token signing key rotation (see @tessera/signing-keys). */
  signingKeys: { rotationDays: number; propagationMinutes: number; checkIntervalMinutes: number };
  /** Ended sessions (and their refresh tokens) are deleted this long after they ended; 0 = never. */
  sessionRetention: { days: number; checkIntervalMinutes: number };
  log: { level: string; pretty: boolean };
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const PLACEHOLDER = /^(change-?me|changeme|placeholder|secret|example|test|dev|x+|0+)$/i;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')} (got ${u.protocol})`);
      }
      return raw;
    } catch {
      this.problems.push(`${name} is not a valid URL`);
      return undefined;
    }
  }

  list(name: string): string[] {
    return (this.str(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
}

export function isValidCidr(entry: string): boolean {
  const [addr, bits, extra] = entry.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (!family) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Decodes a master key given as 64 hex chars or base64/base64url of at least 32 bytes. */
export function decodeMasterKey(raw: string): Buffer | undefined {
  if (/^[0-9a-f]{64,}$/i.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const b = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length >= 32) return b;
  }
  return undefined;
}

export function loadConfig(env: Env = process.env): TesseraConfig {
  const r = new Reader(env);
  const nodeEnv = r.str('NODE_ENV') ?? 'development';
  if (!['development', 'test', 'production'].includes(nodeEnv)) {
    r.problems.push(`NODE_ENV must be development, test or production (got "${nodeEnv}")`);
  }
  const production = nodeEnv === 'production';

  const port = r.int('PORT', 3000, 0, 65535);
  const host = r.str('HOST') ?? '127.0.0.1';
  const publicUrl = r.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`;
  if (production && !r.str('PUBLIC_URL')) r.problems.push('PUBLIC_URL is required in production');

  const trustedProxies = r.list('TRUSTED_PROXIES');
  for (const p of trustedProxies) {
    if (!isValidCidr(p)) r.problems.push(`TRUSTED_PROXIES has an invalid address or CIDR: "${p}"`);
  }
  const corsOrigins = r.list('CORS_ORIGINS');
  for (const o of corsOrigins) {
    if (o === '*') r.problems.push('CORS_ORIGINS must list origins; "*" is not allowed');
    else if (!/^https?:\/\/[^/\s]+$/.test(o)) r.problems.push(`CORS_ORIGINS has an invalid origin: "${o}"`);
  }

  const dbUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const dbOwnerUrl = r.url('DATABASE_OWNER_URL', ['postgres:', 'postgresql:']);
  if (dbOwnerUrl && !dbUrl && r.str('DATABASE_URL') === undefined) {
    r.problems.push('DATABASE_OWNER_URL is set but DATABASE_URL (the application role) is not');
  }
  const embedded = r.str('DATABASE_URL') === undefined;
  if (production && embedded) r.problems.push('DATABASE_URL is required in production');

  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);
  if (production && !r.str('REDIS_URL')) r.problems.push('REDIS_URL is required in production');
  const smtpUrl = r.url('SMTP_URL', ['smtp:', 'smtps:']);

  let masterKey: Buffer | undefined;
  const rawKey = r.str('TESSERA_MASTER_KEY');
  if (rawKey !== undefined) {
    if (PLACEHOLDER.test(rawKey) || rawKey.includes('change')) {
      r.problems.push('TESSERA_MASTER_KEY is a placeholder; generate one with `openssl rand -base64 32`');
    } else {
      masterKey = decodeMasterKey(rawKey);
      if (!masterKey) {
        r.problems.push('TESSERA_MASTER_KEY must be at least 32 bytes, as 64 hex characters or base64');
      } else if (new Set(masterKey).size < 8) {
        r.problems.push('TESSERA_MASTER_KEY has too little entropy');
      }
    }
  } else if (production) {
    r.problems.push('TESSERA_MASTER_KEY is required in production (openssl rand -base64 32)');
  }

  const level = r.str('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!LOG_LEVELS.includes(level)) r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const config: TesseraConfig = {
    env: nodeEnv as TesseraConfig['env'],
    http: {
      host,
      port,
      publicUrl: publicUrl.replace(/\/+$/, ''),
      bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
      corsOrigins,
      trustedProxies,
      workers: r.int('WORKERS', 1, 1, 64),
    },
    database: {
      mode: embedded ? 'embedded' : 'external',
      url: dbUrl,
      ownerUrl: dbOwnerUrl,
      poolMax: r.int('DATABASE_POOL_MAX', 10, 1, 200),
      migrateOnStart: r.bool('MIGRATE_ON_START', embedded),
    },
    redis: { mode: redisUrl ? 'redis' : 'memory', url: redisUrl, prefix: r.str('REDIS_PREFIX') ?? 'tsr:' },
    mail: {
      mode: smtpUrl ? 'smtp' : 'console',
      url: smtpUrl,
      from: r.str('MAIL_FROM') ?? 'Tessera <no-reply@tessera.local>',
    },
    security: { masterKey },
    rateLimit: {
      defaultPerMinute: r.int('RATE_LIMIT_DEFAULT_PER_MINUTE', 600, 1, 1_000_000),
      authPerMinute: r.int('RATE_LIMIT_AUTH_PER_MINUTE', 20, 1, 1_000_000),
      tenant: {
        perMinute: r.int('RATE_LIMIT_TENANT_PER_MINUTE', 100, 1, 1_000_000),
        burst: r.int('RATE_LIMIT_TENANT_BURST', 200, 1, 1_000_000),
      },
      credential: {
        perMinute: r.int('RATE_LIMIT_CREDENTIAL_PER_MINUTE', 100, 1, 1_000_000),
        burst: r.int('RATE_LIMIT_CREDENTIAL_BURST', 200, 1, 1_000_000),
      },
    },
    stepUp: {
      enabled: r.bool('STEP_UP_TIER3', true),
      maxAgeSeconds: r.int('STEP_UP_MAX_AGE_SECONDS', 600, 30, 86_400),
      strongAmr: r.list('STEP_UP_AMR').length ? r.list('STEP_UP_AMR') : ['mfa', 'otp', 'hwk', 'swk'],
    },
    signingKeys: {
      rotationDays: r.int('SIGNING_KEY_ROTATION_DAYS', 30, 1, 365),
      // Not below 7 min: instances cache keys 60 s and relying parties the JWKS 300 s.
      propagationMinutes: r.int('SIGNING_KEY_PROPAGATION_MINUTES', 10, 7, 24 * 60),
      checkIntervalMinutes: r.int('SIGNING_KEY_CHECK_INTERVAL_MINUTES', 60, 1, 24 * 60),
    },
    sessionRetention: {
      days: r.int('SESSION_RETENTION_DAYS', 30, 0, 3650),
      checkIntervalMinutes: r.int('SESSION_PURGE_INTERVAL_MINUTES', 60, 1, 24 * 60),
    },
    log: { level, pretty: r.bool('LOG_PRETTY', false) },
    dataDir: r.str('TESSERA_DATA_DIR') ?? '.data',
  };

  if (config.http.workers > 1 && (embedded || !redisUrl)) {
    r.problems.push('WORKERS > 1 needs DATABASE_URL and REDIS_URL: the embedded PostgreSQL and the in-process cache serve one process only');
  }
  if (config.signingKeys.rotationDays * 1440 <= config.signingKeys.propagationMinutes) {
    r.problems.push('SIGNING_KEY_ROTATION_DAYS must be longer than SIGNING_KEY_PROPAGATION_MINUTES');
  }
  if (r.problems.length) throw new ConfigError(r.problems);
  return config;
}
