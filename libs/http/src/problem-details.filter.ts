import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemBody, ProblemError, problemType } from './problem';

const TITLES: Record<number, [code: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal-error', 'Internal server error'],
  503: ['service-unavailable', 'Service unavailable'],
};

/** Fastify's own errors (body parsing, limits) carry a code and a status; map them too. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
}

export function toProblem(err: unknown, requestId?: string): { body: ProblemBody; headers: Record<string, string> } {
  let status = HttpStatus.INTERNAL_SERVER_ERROR;
  let code: string | undefined;
  let title: string | undefined;
  let detail: string | undefined;
  let ext: Record<string, unknown> = {};
  let headers: Record<string, string> = {};

  if (err instanceof ProblemError) {
    ({ status, code, title, detail } = err);
    ext = err.extensions;
    headers = err.headers;
  } else if (err instanceof ThrottlerException) {
    status = 429;
    detail = 'Too many requests; retry after the time given in Retry-After.';
  } else if (err instanceof HttpException) {
    status = err.getStatus();
    // Nest's own messages ("Cannot GET /x") are safe and useful for 4xx; never for 5xx.
    if (status < 500) {
      const res = err.getResponse();
      const msg = typeof res === 'string' ? res : (res as { message?: unknown }).message;
      detail = Array.isArray(msg) ? msg.join('; ') : typeof msg === 'string' ? msg : undefined;
    }
  } else if (typeof err === 'object' && err !== null && typeof (err as FastifyLikeError).statusCode === 'number') {
    const fe = err as FastifyLikeError & { message?: string };
    status = fe.statusCode!;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') detail = 'The request body is larger than the server accepts.';
    else if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') detail = 'Send application/json.';
    else if (status === 400) detail = 'The request body is not valid JSON.';
  }

  if (status >= 500 && !(err instanceof ProblemError)) detail = undefined;
  const [defCode, defTitle] = TITLES[status] ?? (status >= 500 ? TITLES[500] : TITLES[400]);
  const body: ProblemBody = {
    type: problemType(code ?? defCode),
    title: title ?? defTitle,
    status,
    ...(detail ? { detail } : {}),
    ...ext,
    ...(requestId ? { requestId } : {}),
  };
  if (status === 401 && !headers['WWW-Authenticate']) headers['WWW-Authenticate'] = 'Bearer realm="tessera"';
  return { body, headers };
}

export function sendProblem(reply: FastifyReply, err: unknown, requestId?: string): void {
  const { body, headers } = toProblem(err, requestId);
  for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
  void reply
    .status(body.status)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify(body));
}

/** Every error leaves the API as RFC 9457 problem+json; internals are logged, never returned. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const isKnown =
      exception instanceof ProblemError ||
      exception instanceof HttpException ||
      (typeof exception === 'object' && exception !== null && 'statusCode' in exception);
    if (!isKnown || (exception instanceof ProblemError && exception.status >= 500 && exception.code !== 'service-unavailable')) {
      this.logger.error({ err: exception, requestId: request?.id }, 'Unhandled error');
    }
    sendProblem(reply, exception, request?.id);
  }
}
