import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { createTransport } from 'nodemailer';
import type { SMTPPoolOptions, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import type { TesseraConfig } from '@tessera/config';
import { MAIL_LOG_CONTEXT } from './mail.constants';
import { MailTemplateName } from './mail-templates';

/** A fully rendered message, ready for a transport. */
export interface OutgoingMail {
  template: MailTemplateName;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/** The one place that touches the outside world; MailService never sees nodemailer. */
export interface MailTransport {
  readonly kind: 'smtp' | 'console';
  /** Resolves with the message id once the server accepted the message; rejects otherwise. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

/** Pooled SMTP through nodemailer; options in SMTP_URL's query string override these. */
export class SmtpMailTransport implements MailTransport {
  readonly kind = 'smtp';
  private readonly transporter: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

  constructor(url: string, from: string) {
    this.transporter = createTransport(
      {
        url,
        pool: true,
        maxConnections: 5,
        // Fail fast: a hung mail server must not pile up deliveries. Retries are ours.
        connectionTimeout: 5_000,
        greetingTimeout: 5_000,
        dnsTimeout: 5_000,
        socketTimeout: 10_000,
        // nodemailer's own logger could print envelopes and message content.
        logger: false,
        debug: false,
      },
      { from },
    );
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const info = await this.transporter.sendMail({
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: mail.headers,
    });
    return { messageId: info.messageId };
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

/**
 * Development transport: prints the whole message, links and one-time tokens included,
 * so a developer can click them. That is its purpose, and why it must not run in
 * production; there it prints only that a message was dropped.
 */
export class ConsoleMailTransport implements MailTransport {
  readonly kind = 'console';
  private readonly logger = new Logger(MAIL_LOG_CONTEXT);

  constructor(
    private readonly from: string,
    private readonly withholdBodies: boolean,
  ) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const messageId = `<console-${randomUUID()}@tessera.local>`;
    if (this.withholdBodies) {
      this.logger.error(
        `Mail "${mail.template}" NOT delivered: mail is in console mode in production (set SMTP_URL). Body withheld.`,
      );
      return { messageId };
    }
    const rule = '='.repeat(72);
    this.logger.log(
      [
        '',
        rule,
        `MAIL (console mode: printed here, not sent) template=${mail.template}`,
        `From: ${this.from}`,
        `To: ${mail.to}`,
        `Subject: ${mail.subject}`,
        `Message-ID: ${messageId}`,
        rule,
        mail.text.trimEnd(),
        rule,
      ].join('\n'),
    );
    return { messageId };
  }

  async close(): Promise<void> {}
}

export function createMailTransport(config: TesseraConfig): MailTransport {
  if (config.mail.mode === 'smtp') {
    // Never fall back to printing mail silently when SMTP was asked for.
    if (!config.mail.url) throw new Error('Mail is in smtp mode but SMTP_URL is not set');
    return new SmtpMailTransport(config.mail.url, config.mail.from);
  }
  return new ConsoleMailTransport(config.mail.from, config.env === 'production');
}
