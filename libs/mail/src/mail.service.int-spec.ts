import { LoggerService } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { ConfigModule, loadConfig, TesseraConfig } from '@tessera/config';
import { extractLink, extractToken, SmtpSink } from '../../../test/support/smtp-sink';
import { MAIL_RETRY_DELAYS_MS } from './mail.constants';
import { InvalidRecipientError, MailDeliveryError } from './mail.errors';
import { MailModule } from './mail.module';
import { MailService } from './mail.service';
import { MAIL_SAMPLES } from './mail-samples';
import { MailTemplateName, renderMail } from './mail-templates';

interface LogLine {
  level: string;
  message: string;
  context: string | undefined;
}

/** Stands in for the Nest logger so a test can read everything the module logged. */
class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }
  text(): string {
    return this.lines.map((l) => `${l.level} [${l.context}] ${l.message}`).join('\n');
  }
  private push(level: string, message: unknown, rest: unknown[]): void {
    const context =
      rest.length && typeof rest[rest.length - 1] === 'string' ? rest.at(-1) : undefined;
    this.lines.push({ level, message: String(message), context: context as string | undefined });
  }
}

async function build(config: TesseraConfig, logger: CapturingLogger): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), MailModule],
  })
    .overrideProvider(MAIL_RETRY_DELAYS_MS)
    .useValue([20, 20, 20])
    .setLogger(logger)
    .compile();
  await moduleRef.init();
  return moduleRef;
}

const TEMPLATES = Object.keys(MAIL_SAMPLES) as MailTemplateName[];

describe('MailService (smtp mode, real SMTP sink)', () => {
  let sink: SmtpSink;
  let moduleRef: TestingModule;
  let mail: MailService;
  let logger: CapturingLogger;
  let config: TesseraConfig;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    config = loadConfig({
      NODE_ENV: 'test',
      SMTP_URL: sink.url,
      PUBLIC_URL: 'https://id.example.com',
      MAIL_FROM: 'Tessera <no-reply@id.example.com>',
    });
    logger = new CapturingLogger();
    moduleRef = await build(config, logger);
    mail = moduleRef.get(MailService);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await sink?.stop();
  });

  beforeEach(() => {
    sink.clear();
    logger.lines.length = 0;
  });

  it.each(TEMPLATES)('delivers %s with its subject, text and HTML', async (template) => {
    const to = `${template}@example.com`;
    const expected = renderMail(template, MAIL_SAMPLES[template]);
    await mail.send(template, to, MAIL_SAMPLES[template]);

    const received = await sink.waitFor((m) => m.to.includes(to));
    expect(received.subject).toBe(expected.subject);
    expect(received.text.trim()).toBe(expected.text.trim());
    expect(received.html).toContain('<!DOCTYPE html>');
    expect(received.html).toContain(expected.subject);
    expect(received.from).toBe('Tessera <no-reply@id.example.com>');
    expect(received.headers.get('auto-submitted')).toBe('auto-generated');
    expect(sink.messagesTo(to)).toHaveLength(1);
  });

  it('builds links as ${publicUrl}/<path>?token=<token>, readable from text and HTML', async () => {
    const token = 'tok en+/=&x';
    const link = mail.link('/verify-email', token);
    expect(link).toBe('https://id.example.com/verify-email?token=tok+en%2B%2F%3D%26x');

    await mail.send('email-verification', 'link@example.com', {
      name: 'Alice',
      link,
      expiresInHours: 24,
    });
    const received = await sink.waitFor((m) => m.to.includes('link@example.com'));
    expect(extractLink(received)).toBe(link);
    expect(extractLink(received, '/verify-email')).toBe(link);
    expect(extractToken(received)).toBe(token);
    expect(received.html).toContain(`href="${link}"`);
    expect(() => extractLink(received, '/nowhere')).toThrow(/No link containing "\/nowhere"/);
  });

  it('keeps every link on the public URL', () => {
    expect(mail.link('//evil.example/x', 't')).toBe(
      'https://id.example.com/evil.example/x?token=t',
    );
    expect(() => mail.link('https://evil.example/x', 't')).toThrow(/relative/);
  });

  it('escapes user values in the delivered HTML', async () => {
    await mail.send('password-changed', 'xss@example.com', {
      name: '<script>alert("x")</script>',
    });
    const received = await sink.waitFor((m) => m.to.includes('xss@example.com'));
    expect(received.html).not.toContain('<script>');
    expect(received.html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,');
  });

  it('enqueue returns at once and delivers in the background; drain waits for it', async () => {
    const result: unknown = mail.enqueue('mfa-code', 'bg@example.com', MAIL_SAMPLES['mfa-code']);
    expect(result).toBeUndefined();
    // Nothing can have been delivered yet: delivery starts after the caller's turn.
    expect(sink.messagesTo('bg@example.com')).toHaveLength(0);

    await mail.drain();
    expect(sink.messagesTo('bg@example.com')).toHaveLength(1);
    expect(sink.messagesTo('bg@example.com')[0].text).toContain('123456');
  });

  it('retries a transient failure and delivers exactly once', async () => {
    sink.rejectNextRecipients(1, 451);
    mail.enqueue('password-reset', 'retry@example.com', MAIL_SAMPLES['password-reset']);
    await mail.drain();

    expect(sink.messagesTo('retry@example.com')).toHaveLength(1);
    const warning = logger.lines.find((l) => l.level === 'warn');
    expect(warning?.context).toBe('Mail');
    expect(warning?.message).toMatch(
      /Delivery of "password-reset" to r\*\*\*@example\.com failed \(attempt 1\/4\), retrying in 20 ms: .*451/,
    );
  });

  it('gives up after the last retry and logs it', async () => {
    sink.rejectNextRecipients(10, 451);
    mail.enqueue('password-changed', 'down@example.com', MAIL_SAMPLES['password-changed']);
    await mail.drain();

    expect(sink.messagesTo('down@example.com')).toHaveLength(0);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
    expect(logger.text()).toMatch(
      /Gave up delivering "password-changed" to d\*\*\*@example\.com after 4 attempt/,
    );
  });

  it('does not retry a permanent rejection', async () => {
    sink.rejectNextRecipients(1, 550);
    mail.enqueue('password-changed', 'gone@example.com', MAIL_SAMPLES['password-changed']);
    await mail.drain();

    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(0);
    expect(logger.text()).toMatch(
      /Gave up delivering "password-changed" to g\*\*\*@example\.com after 1 attempt/,
    );
    // The next message goes through: the rejection was used up by the one attempt.
    await mail.send('password-changed', 'gone@example.com', MAIL_SAMPLES['password-changed']);
    expect(sink.messagesTo('gone@example.com')).toHaveLength(1);
  });

  it('send rejects with MailDeliveryError when the server refuses', async () => {
    sink.rejectNextRecipients(1, 550);
    const failure = mail.send('password-changed', 'refused@example.com', { name: 'A' });
    await expect(failure).rejects.toBeInstanceOf(MailDeliveryError);
    await expect(failure).rejects.toMatchObject({
      code: 'mail-delivery-failed',
      template: 'password-changed',
      permanent: true,
    });
  });

  it('refuses anything but one plain recipient address', async () => {
    await expect(
      mail.send('password-changed', 'a@example.com, b@example.com', { name: 'A' }),
    ).rejects.toBeInstanceOf(InvalidRecipientError);
    expect(() =>
      mail.enqueue('password-changed', 'a@example.com\r\nBcc: b@example.com', { name: 'A' }),
    ).toThrow(InvalidRecipientError);
    expect(sink.messages).toHaveLength(0);
  });

  it('never logs bodies, links, tokens or full addresses in smtp mode', async () => {
    const token = 'SECRET-ONE-TIME-TOKEN-0123456789';
    const to = 'victim.person@example.com';
    const link = mail.link('reset-password', token);
    await mail.send('password-reset', to, { name: 'Victim', link, expiresInMinutes: 30 });
    mail.enqueue('password-reset', to, { name: 'Victim', link, expiresInMinutes: 30 });
    sink.rejectNextRecipients(1, 451);
    mail.enqueue('password-reset', to, { name: 'Victim', link, expiresInMinutes: 30 });
    sink.rejectNextRecipients(1, 550);
    await expect(
      mail.send('password-reset', to, { name: 'Victim', link, expiresInMinutes: 30 }),
    ).rejects.toThrow(MailDeliveryError);
    await mail.drain();

    expect(sink.messagesTo(to).length).toBeGreaterThanOrEqual(2);
    const logged = logger.text();
    expect(logged).toContain('v***@example.com');
    expect(logged).toMatch(/Sent "password-reset" to v\*\*\*@example\.com <[^>]+>/);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain('reset-password');
    expect(logged).not.toContain(to);
    expect(logged).not.toContain('Victim');
    expect(logged).not.toMatch(/https?:\/\//);
  });

  it('fails fast when the SMTP server is unreachable, then gives up in the background', async () => {
    const gone = await SmtpSink.start();
    const url = gone.url;
    await gone.stop();
    const log = new CapturingLogger();
    const ref = await build(loadConfig({ NODE_ENV: 'test', SMTP_URL: url }), log);
    try {
      const service = ref.get(MailService);
      await expect(
        service.send('password-changed', 'nobody@example.com', { name: 'A' }),
      ).rejects.toMatchObject({ code: 'mail-delivery-failed', permanent: false });
      service.enqueue('password-changed', 'nobody@example.com', { name: 'A' });
      await service.drain();
      expect(log.text()).toMatch(
        /Gave up delivering "password-changed" to n\*\*\*@example\.com after 4 attempt/,
      );
      expect(log.text()).toMatch(/Delivering mail by SMTP through 127\.0\.0\.1:\d+/);
    } finally {
      await ref.close();
    }
  });

  it('application shutdown waits for background deliveries', async () => {
    const log = new CapturingLogger();
    const ref = await build(config, log);
    ref.get(MailService).enqueue('password-changed', 'shutdown@example.com', { name: 'A' });
    await ref.close();
    expect(sink.messagesTo('shutdown@example.com')).toHaveLength(1);
  });
});

describe('MailService (console mode)', () => {
  it('prints the whole message, links included, to the Mail logger and sends nothing', async () => {
    const sink = await SmtpSink.start();
    const logger = new CapturingLogger();
    const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://id.example.com' });
    expect(config.mail.mode).toBe('console');
    const ref = await build(config, logger);
    try {
      const mail = ref.get(MailService);
      const link = mail.link('verify-email', 'console-token');
      await mail.send('email-verification', 'dev@example.com', {
        name: 'Dev',
        link,
        expiresInHours: 24,
      });
      mail.enqueue('mfa-code', 'dev@example.com', MAIL_SAMPLES['mfa-code']);
      await mail.drain();

      expect(logger.text()).toMatch(/console mode \(no SMTP_URL\)/);
      const printed = logger.lines.filter((l) => l.message.includes('MAIL (console mode'));
      expect(printed).toHaveLength(2);
      expect(printed[0].context).toBe('Mail');
      expect(printed[0].level).toBe('log');
      expect(printed[0].message).toContain('To: dev@example.com');
      expect(printed[0].message).toContain('Subject: Verify your email address for Tessera');
      expect(printed[0].message).toContain(link);
      expect(printed[1].message).toContain('123456');
      expect(sink.messages).toHaveLength(0);
    } finally {
      await ref.close();
      await sink.stop();
    }
  });

  it('in production warns loudly at start-up and withholds bodies', async () => {
    const logger = new CapturingLogger();
    const config: TesseraConfig = { ...loadConfig({ NODE_ENV: 'test' }), env: 'production' };
    const ref = await build(config, logger);
    try {
      const mail = ref.get(MailService);
      const link = mail.link('reset-password', 'prod-token');
      await mail.send('password-reset', 'ops@example.com', {
        name: 'Ops',
        link,
        expiresInMinutes: 30,
      });
      const errors = logger.lines.filter((l) => l.level === 'error').map((l) => l.message);
      expect(errors[0]).toMatch(/MAIL IS IN CONSOLE MODE IN PRODUCTION/);
      expect(errors[1]).toMatch(/"password-reset" NOT delivered/);
      expect(logger.text()).not.toContain('prod-token');
      expect(logger.text()).not.toContain('ops@example.com');
    } finally {
      await ref.close();
    }
  });
});
