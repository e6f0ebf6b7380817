import { SetMetadata } from '@nestjs/common';

export const RATE_LIMIT_CATEGORY = 'tessera:rate-limit-category';

export type RateLimitCategory = 'default' | 'auth';

/**
 * Puts a route in a limit category whose numbers come from configuration:
 * `auth` for login, sign-up, activation, reset, MFA and token endpoints.
 */
export const RateLimit = (category: RateLimitCategory) => SetMetadata(RATE_LIMIT_CATEGORY, category);
