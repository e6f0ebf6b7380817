import { MailTemplateName } from './mail-templates';

export type MailErrorCode = 'mail-delivery-failed' | 'mail-invalid-recipient';

/** Base of the errors this module throws; `code` is stable. */
export class MailError extends Error {
  constructor(
    readonly code: MailErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MailError';
  }
}

/**
 * The transport did not accept the message. The message names the template, never the
 * recipient or the body; the underlying transport error is kept as `cause`.
 */
export class MailDeliveryError extends MailError {
  constructor(
    readonly template: MailTemplateName,
    /** True when the server refused the message for good (SMTP 5xx), so retrying is pointless. */
    readonly permanent: boolean,
    cause: unknown,
  ) {
    super('mail-delivery-failed', `Delivery of "${template}" mail failed`, { cause });
    this.name = 'MailDeliveryError';
  }
}

/** The recipient is not exactly one plain email address. */
export class InvalidRecipientError extends MailError {
  constructor() {
    super('mail-invalid-recipient', 'The mail recipient must be a single email address');
    this.name = 'InvalidRecipientError';
  }
}
