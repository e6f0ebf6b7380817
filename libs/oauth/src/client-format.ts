import { crc32Base62, randomBase62 } from '@tessera/crypto';

/**
 * Client ids are public (`tsr_client_` + 22 base62, ~131 random bits). Client secrets have
 * the same shape as API keys — a recognisable prefix for secret scanners, ≥256 random bits
 * and a CRC32 checksum checked before any lookup:
 *
 *   tsr_cs_<secret: 43 base62><checksum: 6 base62>
 */
export const CLIENT_ID_PATTERN = /^tsr_client_[0-9A-Za-z]{22}$/;
const SECRET_PATTERN = /^tsr_cs_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export function newClientId(): string {
  return `tsr_client_${randomBase62(22)}`;
}

export function newClientSecret(): string {
  const body = `tsr_cs_${randomBase62(43)}`;
  return body + crc32Base62(body);
}

export function isWellFormedSecret(secret: string): boolean {
  const m = SECRET_PATTERN.exec(secret);
  return !!m && crc32Base62(secret.slice(0, 50)) === m[2];
}
