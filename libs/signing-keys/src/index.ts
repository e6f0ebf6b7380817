// Public face of @tessera/signing-keys.
export * from './signing-keys.module';
export * from './signing-key.service';
export * from './signing-key.types';
export {
  isValidKid,
  JWKS_MAX_AGE_SECONDS,
  MAX_ACCESS_TOKEN_TTL_SECONDS,
  retiredPublishSeconds,
  SIGNING_ALG,
  SigningKeyOptions,
  SigningKeyOptionsError,
  signingKeyOptionsFromEnv,
  VERIFY_LEEWAY_SECONDS,
} from './signing-key.options';
export { PrivateKeyDecryptError } from './private-key-box';
export { tokenIssuer } from './issuer';
export { JwkResponseDto, JwksResponseDto } from './dto/jwks.response';
export { OpenIdConfigurationResponseDto } from './dto/openid-configuration.response';
