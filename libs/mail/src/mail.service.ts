import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectConfig, TesseraConfig } from '@tessera/config';
import { isSingleMailAddress, maskAddressIn, maskEmail } from './mail-address';
import { MAIL_LOG_CONTEXT, MAIL_RETRY_DELAYS_MS, MAIL_TRANSPORT } from './mail.constants';
import { InvalidRecipientError, MailDeliveryError } from './mail.errors';
import { singleLine } from './mail-layout';
import { MailTemplateName, MailTemplates, renderMail } from './mail-templates';
import { MailTransport, OutgoingMail } from './mail-transport';

/** Headers on every message: it is machine-sent, so auto-responders must stay quiet (RFC 3834). */
const AUTOMATED_HEADERS: Readonly<Record<string, string>> = {
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'All',
};

const MAX_IN_FLIGHT = 10_000;

/**
 * Renders and delivers Tessera's mail. Logs name the template, a masked recipient and
 * the message id only: bodies and links carry one-time tokens and never reach a log
 * (except through the console transport, in development, by design).
 */
@Injectable()
export class MailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MAIL_LOG_CONTEXT);
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @InjectConfig() private readonly config: TesseraConfig,
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    @Inject(MAIL_RETRY_DELAYS_MS) private readonly retryDelaysMs: readonly number[],
  ) {}

  onModuleInit(): void {
    if (this.transport.kind === 'smtp') {
      this.logger.log(`Delivering mail by SMTP through ${smtpHost(this.config.mail.url)}`);
    } else if (this.config.env === 'production') {
      this.logger.error(
        'MAIL IS IN CONSOLE MODE IN PRODUCTION: no mail will be delivered. Set SMTP_URL. ' +
          'Message bodies are withheld from the log because their links carry one-time tokens.',
      );
    } else {
      this.logger.log(
        'Mail is in console mode (no SMTP_URL): messages, one-time links included, are printed to this log and not sent.',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
    await this.transport.close();
  }

  /**
   * The link convention for every mail: `${publicUrl}/<path>?token=<token>`. The UI
   * reads the token from its address bar and posts it in a request body.
   */
  link(path: string, token: string): string {
    const base = `${this.config.http.publicUrl.replace(/\/+$/, '')}/`;
    const url = new URL(path.replace(/^\/+/, ''), base);
    // An absolute or protocol-relative path would send the token to another host.
    if (url.origin !== new URL(base).origin) throw new TypeError('Mail link path must be relative');
    url.searchParams.set('token', token);
    return url.toString();
  }

  /** Renders and delivers now; rejects with MailDeliveryError if the transport fails. */
  async send<T extends MailTemplateName>(
    template: T,
    to: string,
    data: MailTemplates[T],
  ): Promise<void> {
    const mail = this.compose(template, to, data);
    try {
      await this.deliver(mail);
    } catch (err) {
      this.logger.warn(
        `Delivery of "${template}" to ${maskEmail(to)} failed: ${describeError(err, to)}`,
      );
      throw new MailDeliveryError(template, isPermanent(err), err);
    }
  }

  /**
   * Renders now (bad data throws here, in the caller) and delivers in the background
   * with retries. The caller never waits for SMTP, so neither its latency nor its
   * outcome reveals whether a mail was sent: that keeps account enumeration out of
   * response timing.
   */
  enqueue<T extends MailTemplateName>(template: T, to: string, data: MailTemplates[T]): void {
    const mail = this.compose(template, to, data);
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      // Memory stays bounded while the mail server is down and requests keep coming.
      this.logger.error(
        `Dropped "${template}" to ${maskEmail(to)}: ${MAX_IN_FLIGHT} deliveries pending`,
      );
      return;
    }
    const delivery = this.deliverWithRetries(mail);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Waits until every background delivery has succeeded or given up. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private compose<T extends MailTemplateName>(
    template: T,
    to: string,
    data: MailTemplates[T],
  ): OutgoingMail {
    if (!isSingleMailAddress(to)) throw new InvalidRecipientError();
    return { template, to, ...renderMail(template, data), headers: { ...AUTOMATED_HEADERS } };
  }

  private async deliver(mail: OutgoingMail): Promise<void> {
    const { messageId } = await this.transport.send(mail);
    // The console transport has already printed the message (or said why it did not).
    if (this.transport.kind === 'smtp') {
      this.logger.log(`Sent "${mail.template}" to ${maskEmail(mail.to)} ${messageId}`);
    }
  }

  /** Never rejects: failures end up in the log, without body or links. */
  private async deliverWithRetries(mail: OutgoingMail): Promise<void> {
    const attempts = this.retryDelaysMs.length + 1;
    const what = `"${mail.template}" to ${maskEmail(mail.to)}`;
    try {
      // Leave the caller's turn of the event loop before touching the network.
      await setImmediate();
      for (let attempt = 1; ; attempt++) {
        try {
          await this.deliver(mail);
          return;
        } catch (err) {
          const reason = describeError(err, mail.to);
          if (isPermanent(err) || attempt >= attempts) {
            this.logger.error(`Gave up delivering ${what} after ${attempt} attempt(s): ${reason}`);
            return;
          }
          const wait = this.retryDelaysMs[attempt - 1];
          this.logger.warn(
            `Delivery of ${what} failed (attempt ${attempt}/${attempts}), retrying in ${wait} ms: ${reason}`,
          );
          await sleep(wait);
        }
      }
    } catch (err) {
      this.logger.error(`Background delivery of ${what} crashed: ${describeError(err, mail.to)}`);
    }
  }
}

/** SMTP 5xx (other than 503) and configuration errors: the same message would fail again. */
function isPermanent(err: unknown): boolean {
  const { permanent, code } = (err ?? {}) as { permanent?: unknown; code?: unknown };
  return permanent === true || code === 'ECONFIG';
}

/** A one-line reason for the log: error code, SMTP reply code and message, recipient masked. */
function describeError(err: unknown, to: string): string {
  if (!(err instanceof Error)) return 'unknown error';
  const { code, responseCode } = err as { code?: unknown; responseCode?: unknown };
  const tags = [code, responseCode].filter(
    (t): t is string | number => typeof t === 'string' || typeof t === 'number',
  );
  const message = singleLine(maskAddressIn(err.message, to), 300);
  return tags.length ? `[${tags.join(' ')}] ${message}` : message;
}

/** host:port of the SMTP URL, never its credentials or query. */
function smtpHost(url: string | undefined): string {
  try {
    return url ? new URL(url).host : 'an unset SMTP_URL';
  } catch {
    return 'an invalid SMTP_URL';
  }
}
