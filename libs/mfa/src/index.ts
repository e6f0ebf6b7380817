export * from './mfa.module';
export * from './mfa-policy';
export { totpCodeAt, checkTotp, TOTP_PERIOD_S } from './totp';
export { MfaCrypto } from './mfa-crypto.service';
export { newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes';
