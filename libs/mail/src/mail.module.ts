import { Module } from '@nestjs/common';
import { TESSERA_CONFIG, TesseraConfig } from '@tessera/config';
import { DEFAULT_RETRY_DELAYS_MS, MAIL_RETRY_DELAYS_MS, MAIL_TRANSPORT } from './mail.constants';
import { MailService } from './mail.service';
import { createMailTransport } from './mail-transport';

/**
 * Outgoing mail. Needs ConfigModule (global) for `mail` and `http.publicUrl`; owns no
 * routes and no tables.
 */
@Module({
  providers: [
    {
      provide: MAIL_TRANSPORT,
      inject: [TESSERA_CONFIG],
      useFactory: (config: TesseraConfig) => createMailTransport(config),
    },
    { provide: MAIL_RETRY_DELAYS_MS, useValue: DEFAULT_RETRY_DELAYS_MS },
    MailService,
  ],
  exports: [MailService],
})
export class MailModule {}
