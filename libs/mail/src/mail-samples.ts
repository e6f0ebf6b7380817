import { MailTemplates } from './mail-templates';

const LINK = 'https://id.example.com/verify-email?token=abc123';

/**
 * Valid example data for every template, for specs and previews. `satisfies` makes the
 * compiler fail here when a template is added without a sample.
 */
export const MAIL_SAMPLES = {
  'email-verification': { name: 'Alice', link: LINK, expiresInHours: 24 },
  invitation: {
    name: 'Bob',
    inviterName: 'Carol',
    tenantName: 'Acme',
    link: LINK,
    expiresInDays: 7,
  },
  'password-reset': { name: 'Alice', link: LINK, expiresInMinutes: 30 },
  'signup-attempt': { name: 'Alice', resetLink: LINK, signInLink: 'https://id.example.com/login' },
  'password-changed': { name: 'Alice' },
  'account-locked': { name: 'Alice', until: new Date('2030-01-02T03:04:05Z') },
  'mfa-code': { name: 'Alice', code: '123456', expiresInMinutes: 10 },
  'recovery-code-used': { name: 'Alice', remaining: 3 },
  'mfa-changed': { name: 'Alice', change: 'totp-enabled' },
} satisfies MailTemplates;
