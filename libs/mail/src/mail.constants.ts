/** Injection token of the MailTransport the module builds from the configuration. */
export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/**
 * Injection token of the waits between background delivery attempts: one retry per
 * entry. Tests override it to keep retries fast.
 */
export const MAIL_RETRY_DELAYS_MS = Symbol('MAIL_RETRY_DELAYS_MS');
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [500, 2_000, 5_000];

/** Logger context of everything this module logs. */
export const MAIL_LOG_CONTEXT = 'Mail';
