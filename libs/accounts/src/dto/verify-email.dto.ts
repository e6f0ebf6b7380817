import { IsLinkToken } from './account-input.decorators';

export class VerifyEmailDto {
  @IsLinkToken()
  token!: string;
}
