import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { ProblemError } from '@tessera/http';
import type { FastifyReply } from 'fastify';
import { OAuthError, OAuthErrorCode } from './oauth.errors';

/**
 * On the OAuth endpoints every error — ours, validation, the per-IP throttler, a store
 * outage — leaves as an RFC 6749 error object (`{ error, error_description }`), never
 * problem+json, with `Cache-Control: no-store`.
 */
@Catch()
export class OAuthErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('OAuth');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let status = 500;
    let error: OAuthErrorCode = 'server_error';
    let description = 'The server could not handle the request.';
    let headers: Record<string, string> = {};
    if (exception instanceof OAuthError) {
      ({ status, error, description, headers } = exception);
    } else if (exception instanceof ProblemError) {
      status = exception.status;
      headers = { ...exception.headers };
      description = exception.detail ?? exception.title;
      if (status === 429 || status === 503) error = 'temporarily_unavailable';
      else if (status === 401) {
        error = 'invalid_client';
        headers['WWW-Authenticate'] = 'Basic realm="tessera", charset="UTF-8"';
      } else if (status < 500) error = 'invalid_request';
    } else if (exception instanceof ThrottlerException) {
      status = 429;
      error = 'temporarily_unavailable';
      description = 'Too many requests; retry after the time given in Retry-After.';
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      if (status < 500) {
        error = 'invalid_request';
        description = 'The request is not valid.';
      }
    } else if (typeof exception === 'object' && exception !== null && typeof (exception as { statusCode?: unknown }).statusCode === 'number') {
      status = (exception as { statusCode: number }).statusCode;
      if (status < 500) {
        error = 'invalid_request';
        description = 'The request body could not be read.';
      }
    }
    if (status >= 500 && error === 'server_error') this.logger.error({ err: exception }, 'OAuth endpoint failed');
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
    void reply
      .status(status)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send(JSON.stringify({ error, error_description: description }));
  }
}
