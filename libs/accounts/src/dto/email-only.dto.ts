import { IsAccountEmail } from './account-input.decorators';

/** Body of verify-email/resend and password/forgot. */
export class EmailOnlyDto {
  @IsAccountEmail()
  email!: string;
}
