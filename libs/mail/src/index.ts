export { MailModule } from './mail.module';
export { MailService } from './mail.service';
export { MailError, MailDeliveryError, InvalidRecipientError } from './mail.errors';
export type { MailErrorCode } from './mail.errors';
export { renderMail } from './mail-templates';
export type {
  MailTemplates,
  MailTemplateName,
  EmailVerificationMail,
  InvitationMail,
  PasswordResetMail,
  SignupAttemptMail,
  PasswordChangedMail,
  AccountLockedMail,
  MfaCodeMail,
  RecoveryCodeUsedMail,
} from './mail-templates';
export type { RenderedMail } from './mail-layout';
