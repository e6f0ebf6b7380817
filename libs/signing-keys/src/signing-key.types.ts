export type SigningKeyStatus = 'next' | 'active' | 'retired';

/** Who changed the keys, for the audit trail (platform chain, no tenant). */
export interface SigningKeyActor {
  type: 'system' | 'operator' | 'user';
  id: string;
}

export const SCHEDULER_ACTOR: SigningKeyActor = { type: 'system', id: 'signing-key-scheduler' };

/** The public half of a P-256 key, exactly the members RFC 7638 hashes. */
export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** One entry of our JWKS: the public members plus kid, alg and use. Never `d`. */
export interface PublishedJwk extends EcPublicJwk {
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** A row of signing_keys without its private key, for operators (`keys list`). */
export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256';
  status: SigningKeyStatus;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  publishUntil: Date | null;
  /** In the JWKS now: next, active, or retired and still before publish_until. */
  published: boolean;
}

export interface RotationResult {
  /** The new key (or the 'next' key that already existed). */
  kid: string;
  /** 'next' until promoted; 'active' after an immediate rotation. */
  status: SigningKeyStatus;
  /** False when a 'next' key already existed and was reused (rotation already in progress). */
  created: boolean;
  /** The key that stopped signing (immediate rotation only). */
  previousKid: string | null;
  /** Until when the previous key stays published. */
  previousPublishUntil: Date | null;
  /** Earliest time the scheduler promotes a 'next' key. */
  promotableAt: Date | null;
}

export interface PromotionResult {
  kid: string;
  previousKid: string | null;
  previousPublishUntil: Date | null;
}
