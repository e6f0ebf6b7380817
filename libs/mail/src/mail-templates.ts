import { MailContent, PRODUCT_NAME, RenderedMail, renderContent, singleLine } from './mail-layout';

export interface EmailVerificationMail {
  name: string;
  link: string;
  expiresInHours: number;
}

export interface InvitationMail {
  name: string;
  inviterName?: string;
  tenantName: string;
  link: string;
  expiresInDays: number;
}

export interface PasswordResetMail {
  name: string;
  link: string;
  expiresInMinutes: number;
}

/** Sent to the owner of an existing account when someone signs up with its address. */
export interface SignupAttemptMail {
  name: string;
  resetLink?: string;
  signInLink?: string;
}

export interface PasswordChangedMail {
  name: string;
}

export interface AccountLockedMail {
  name: string;
  until: Date;
}

export interface MfaCodeMail {
  name: string;
  code: string;
  expiresInMinutes: number;
}

export interface RecoveryCodeUsedMail {
  name: string;
  remaining: number;
}

/** What happened to the account's second factors (each change also ends other sessions). */
export type MfaChange = 'totp-enabled' | 'totp-disabled' | 'recovery-codes-regenerated' | 'reset-by-admin';

export interface MfaChangedMail {
  name: string;
  change: MfaChange;
}

const MFA_CHANGE_TEXT: Record<MfaChange, string> = {
  'totp-enabled': 'An authenticator app was set up as the second factor of your account, and new recovery codes were created.',
  'totp-disabled': 'The authenticator app was removed from your account, with its recovery codes.',
  'recovery-codes-regenerated': 'New recovery codes were created for your account; the previous ones no longer work.',
  'reset-by-admin': 'An administrator removed the second factors of your account. You will be asked to set one up at your next sign-in.',
};

/** Every template Tessera sends, by name, with the data it needs. */
export interface MailTemplates {
  'email-verification': EmailVerificationMail;
  invitation: InvitationMail;
  'password-reset': PasswordResetMail;
  'signup-attempt': SignupAttemptMail;
  'password-changed': PasswordChangedMail;
  'account-locked': AccountLockedMail;
  'mfa-code': MfaCodeMail;
  'recovery-code-used': RecoveryCodeUsedMail;
  'mfa-changed': MfaChangedMail;
}

export type MailTemplateName = keyof MailTemplates;

function count(n: number, unit: string): string {
  if (!Number.isFinite(n) || n < 0) throw new TypeError(`Invalid ${unit} count in mail data`);
  const shown = Number.isInteger(n) ? String(n) : n.toFixed(1);
  return `${shown} ${unit}${n === 1 ? '' : 's'}`;
}

function utc(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError('Invalid date in mail data');
  }
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const TEMPLATES: { [K in MailTemplateName]: (data: MailTemplates[K]) => MailContent } = {
  'email-verification': (d) => ({
    subject: `Verify your email address for ${PRODUCT_NAME}`,
    name: d.name,
    blocks: [
      {
        kind: 'paragraph',
        text: `Please confirm your email address to finish setting up your ${PRODUCT_NAME} account.`,
      },
      { kind: 'action', label: 'Verify email address', url: d.link },
      {
        kind: 'paragraph',
        text: `This link expires in ${count(d.expiresInHours, 'hour')} and can be used once. If you did not create a ${PRODUCT_NAME} account, you can ignore this email.`,
      },
    ],
  }),

  invitation: (d) => {
    const tenant = singleLine(d.tenantName, 100);
    const inviter = d.inviterName ? singleLine(d.inviterName, 100) : '';
    return {
      subject: `You have been invited to join ${tenant} on ${PRODUCT_NAME}`,
      name: d.name,
      blocks: [
        {
          kind: 'paragraph',
          text: inviter
            ? `${inviter} has invited you to join ${tenant} on ${PRODUCT_NAME}.`
            : `You have been invited to join ${tenant} on ${PRODUCT_NAME}.`,
        },
        { kind: 'action', label: 'Accept the invitation', url: d.link },
        {
          kind: 'paragraph',
          text: `The invitation expires in ${count(d.expiresInDays, 'day')} and can be used once. If you were not expecting it, you can ignore this email.`,
        },
      ],
    };
  },

  'password-reset': (d) => ({
    subject: `Reset your ${PRODUCT_NAME} password`,
    name: d.name,
    blocks: [
      {
        kind: 'paragraph',
        text: `We received a request to reset the password of your ${PRODUCT_NAME} account. To choose a new password, open the link below.`,
      },
      { kind: 'action', label: 'Reset password', url: d.link },
      {
        kind: 'paragraph',
        text: `This link expires in ${count(d.expiresInMinutes, 'minute')} and can be used once. If you did not ask for this, you can ignore this email; your password stays unchanged.`,
      },
    ],
  }),

  'signup-attempt': (d) => ({
    subject: `Sign-up attempt with your ${PRODUCT_NAME} email address`,
    name: d.name,
    blocks: [
      {
        kind: 'paragraph',
        text: `Someone tried to create a new ${PRODUCT_NAME} account with this email address. You already have an account, so no new account was created and your existing account was not changed.`,
      },
      ...(d.signInLink
        ? [{ kind: 'action' as const, label: 'If this was you, sign in', url: d.signInLink }]
        : []),
      ...(d.resetLink
        ? [{ kind: 'action' as const, label: 'Forgot your password? Reset it', url: d.resetLink }]
        : []),
      {
        kind: 'paragraph',
        text: 'If this was not you, no action is needed.',
      },
    ],
  }),

  'password-changed': (d) => ({
    subject: `Your ${PRODUCT_NAME} password was changed`,
    name: d.name,
    blocks: [
      { kind: 'paragraph', text: `The password of your ${PRODUCT_NAME} account was just changed.` },
      {
        kind: 'paragraph',
        text: 'If you made this change, no action is needed. If you did not, reset your password right away and tell your administrator: someone else may have access to your account.',
      },
    ],
  }),

  'account-locked': (d) => ({
    subject: `Your ${PRODUCT_NAME} account is temporarily locked`,
    name: d.name,
    blocks: [
      {
        kind: 'paragraph',
        text: `After several unsuccessful sign-in attempts, your ${PRODUCT_NAME} account is locked until ${utc(d.until)}. You can sign in again after that time.`,
      },
      {
        kind: 'paragraph',
        text: 'If these attempts were not yours, someone may be trying to guess your password. Consider changing it once the lock ends, and tell your administrator.',
      },
    ],
  }),

  'mfa-code': (d) => ({
    // The code is deliberately not in the subject: subjects show on locked screens.
    subject: `Your ${PRODUCT_NAME} verification code`,
    name: d.name,
    blocks: [
      { kind: 'paragraph', text: 'Your verification code is:' },
      { kind: 'code', value: d.code },
      {
        kind: 'paragraph',
        text: `It expires in ${count(d.expiresInMinutes, 'minute')}. Never share this code with anyone; ${PRODUCT_NAME} will never ask you for it.`,
      },
      {
        kind: 'paragraph',
        text: 'If you did not try to sign in, someone may know your password: change it now.',
      },
    ],
  }),

  'recovery-code-used': (d) => ({
    subject: `A recovery code was used on your ${PRODUCT_NAME} account`,
    name: d.name,
    blocks: [
      {
        kind: 'paragraph',
        text: `A recovery code was just used to sign in to your ${PRODUCT_NAME} account. Each code works only once; you have ${count(d.remaining, 'recovery code')} left.`,
      },
      ...(d.remaining <= 2
        ? [
            {
              kind: 'paragraph' as const,
              text:
                d.remaining === 0
                  ? 'You have no recovery codes left. Generate new ones in your security settings so you are not locked out.'
                  : 'You are running low on recovery codes. Generate new ones in your security settings.',
            },
          ]
        : []),
      {
        kind: 'paragraph',
        text: 'If this was not you, change your password and set up your second factor again right away, and tell your administrator.',
      },
    ],
  }),

  'mfa-changed': (d) => {
    const text = MFA_CHANGE_TEXT[d.change];
    if (!text) throw new TypeError('Invalid MFA change in mail data');
    return {
      subject: `The sign-in security of your ${PRODUCT_NAME} account changed`,
      name: d.name,
      blocks: [
        { kind: 'paragraph', text },
        { kind: 'paragraph', text: 'Your other sessions were signed out.' },
        {
          kind: 'paragraph',
          text: 'If this was not you, change your password right away and tell your administrator: someone else may have access to your account.',
        },
      ],
    };
  },
};

export function isMailTemplateName(name: string): name is MailTemplateName {
  return Object.prototype.hasOwnProperty.call(TEMPLATES, name);
}

/** Renders a template to its subject, text body and HTML body. Throws on invalid data. */
export function renderMail<T extends MailTemplateName>(
  template: T,
  data: MailTemplates[T],
): RenderedMail {
  if (!isMailTemplateName(template)) throw new TypeError(`Unknown mail template "${template}"`);
  const build: (data: MailTemplates[T]) => MailContent = TEMPLATES[template];
  return renderContent(build(data));
}
