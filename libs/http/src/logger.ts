import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { redact } from './redact';

/**
 * Paths pino removes before a line is written. Request logging is ours (one line per
 * response, see http-hooks.ts) and never includes bodies; these paths are a second net for
 * anything that logs a request, a response or an error object.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.secret',
  '*.code',
  '*.authorization',
];

export function createLogger(level: string, destination?: DestinationStream, pretty = false): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'tessera' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      err: pino.stdSerializers.err,
      body: (b: unknown) => redact(b),
      params: (p: unknown) => redact(p),
    },
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty' } });
  // Buffered, asynchronous stdout: one write per ~4 KiB instead of one per line (a write
  // syscall per request was a large part of a cheap request's cost in bench/). Flushed
  // synchronously on exit so no line is lost on a clean shutdown.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  process.once('exit', () => stdout.flushSync());
  return pino(options, stdout);
}

/** Nest's LoggerService on top of the same pino instance Fastify uses. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]) {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const msg = typeof rest[0] === 'string' ? (rest[0] as string) : undefined;
      this.logger[level]({ context, ...(message as object) }, msg);
    } else if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    // Nest passes (message, stack, context); keep the stack out of the message.
    if (rest.length >= 2 && typeof rest[0] === 'string' && typeof message === 'string') {
      this.logger.error({ context: rest[1], stack: rest[0] }, message);
      return;
    }
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }
}
