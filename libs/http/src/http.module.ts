import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { HttpMetrics } from './metrics';
import { ProblemDetailsFilter } from './problem-details.filter';
import { createValidationPipe } from './validation';

/** The HTTP conventions every route gets: problem+json errors, strict validation, metrics. */
@Global()
@Module({
  providers: [
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: HttpMetrics, useFactory: () => new HttpMetrics() },
  ],
  exports: [HttpMetrics],
})
export class HttpModule {}
