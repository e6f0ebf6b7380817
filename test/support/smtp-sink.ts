import { AddressInfo } from 'node:net';
import { AddressObject, simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';

/** One message as the sink received it. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO): who the message was actually delivered to. */
  to: string[];
  /** The From header, e.g. `Tessera <no-reply@tessera.local>`. */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Parsed headers, keys in lower case (mailparser's shape). */
  headers: Map<string, unknown>;
}

interface Waiter {
  predicate: (m: ReceivedMail) => boolean;
  resolve: (m: ReceivedMail) => void;
}

type SmtpReplyError = Error & { responseCode: number };

/**
 * A real SMTP server in the test process: mail sent to `url` is parsed and kept in
 * `messages`. Plain SMTP only (no STARTTLS), authentication accepted but not required.
 */
export class SmtpSink {
  readonly messages: ReceivedMail[] = [];
  private readonly waiters = new Set<Waiter>();
  private rejections: number[] = [];

  private readonly server: SMTPServer;
  private port = 0;

  private constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      // A test that stops the sink while a pooled client is connected must not hang.
      closeTimeout: 500,
      size: 10 * 1024 * 1024,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'test' }),
      onRcptTo: (_address, _session, callback) => callback(this.nextRejection()),
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          () => callback(),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve, reject) => {
      sink.server.server.once('error', reject);
      sink.server.listen(0, '127.0.0.1', () => {
        sink.server.server.off('error', reject);
        resolve();
      });
    });
    sink.port = (sink.server.server.address() as AddressInfo).port;
    return sink;
  }

  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /**
   * Makes the next `count` RCPT TO commands fail with `responseCode` (4xx: transient,
   * the client should retry; 5xx: permanent), to test retry and failure paths.
   */
  rejectNextRecipients(count = 1, responseCode = 451): void {
    this.rejections.push(...Array<number>(count).fill(responseCode));
  }

  /** Resolves with the first message, received already or later, that matches. */
  waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs = 5000): Promise<ReceivedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<ReceivedMail>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const received = this.messages.length
          ? this.messages.map((m) => `  - to ${m.to.join(', ')}: "${m.subject}"`).join('\n')
          : '  (nothing)';
        reject(
          new Error(
            `SmtpSink: no matching mail within ${timeoutMs} ms. Received ${this.messages.length}:\n${received}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  messagesTo(address: string): ReceivedMail[] {
    const wanted = address.toLowerCase();
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === wanted));
  }

  clear(): void {
    this.messages.length = 0;
    this.rejections = [];
  }

  stop(): Promise<void> {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private nextRejection(): SmtpReplyError | null {
    const code = this.rejections.shift();
    if (code === undefined) return null;
    const err = new Error(
      code < 500 ? 'Try again later (SmtpSink)' : 'Rejected (SmtpSink)',
    ) as SmtpReplyError;
    err.responseCode = code;
    return err;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const parsed = await simpleParser(stream);
    const mail: ReceivedMail = {
      to: session.envelope.rcptTo.map((a) => a.address),
      from: addressText(parsed.from),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: parsed.html || '',
      headers: new Map<string, unknown>(parsed.headers),
    };
    this.messages.push(mail);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(mail)) waiter.resolve(mail);
    }
  }
}

/** `Name <address>` as the sender wrote it (mailparser's own text adds quotes), or the address. */
function addressText(value: AddressObject | undefined): string {
  const first = value?.value[0];
  if (!first) return value?.text ?? '';
  return first.name ? `${first.name} <${first.address ?? ''}>` : (first.address ?? '');
}

const LINK = /https?:\/\/[^\s<>"']+/g;

function linksIn(mail: ReceivedMail): string[] {
  // Sentence punctuation right after a URL is not part of it.
  return (mail.text.match(LINK) ?? []).map((l) => l.replace(/[.,;:!?)\]]+$/, ''));
}

/** The first http(s) link in the text body, or the first whose text contains `pathPart`. */
export function extractLink(mail: ReceivedMail, pathPart?: string): string {
  const links = linksIn(mail);
  const link = pathPart === undefined ? links[0] : links.find((l) => l.includes(pathPart));
  if (!link) {
    throw new Error(
      `No link${pathPart === undefined ? '' : ` containing "${pathPart}"`} in mail "${mail.subject}" ` +
        `(links: ${links.length ? links.join(' ') : 'none'})`,
    );
  }
  return link;
}

/**
 * The value of query parameter `param` (default `token`) of the first link that has it,
 * or of the same key in a `#key=value` fragment.
 */
export function extractToken(mail: ReceivedMail, param = 'token'): string {
  for (const link of linksIn(mail)) {
    const url = new URL(link);
    const value = url.searchParams.get(param) ?? new URLSearchParams(url.hash.slice(1)).get(param);
    if (value) return value;
  }
  throw new Error(`No link with a "${param}" parameter in mail "${mail.subject}"`);
}
