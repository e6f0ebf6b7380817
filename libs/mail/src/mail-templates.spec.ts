import { escapeHtml } from './escape-html';
import { isSingleMailAddress, maskAddressIn, maskEmail } from './mail-address';
import { MailTemplateName, MailTemplates, renderMail } from './mail-templates';
import { MAIL_SAMPLES } from './mail-samples';

const LINK = 'https://id.example.com/verify-email?token=abc123';
const SAMPLE_DATA = MAIL_SAMPLES;

const NAMES = Object.keys(SAMPLE_DATA) as MailTemplateName[];

function render<T extends MailTemplateName>(template: T, data: MailTemplates[T]) {
  return renderMail(template, data);
}

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('renderMail', () => {
  it.each(NAMES)('%s renders a subject, a text body and an HTML body', (name) => {
    const mail = renderMail(name, SAMPLE_DATA[name]);
    expect(mail.subject).toMatch(/Tessera/);
    expect(mail.text).toMatch(/^Hello Alice,|^Hello Bob,/);
    expect(mail.text).toContain('Tessera');
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain(escapeHtml(mail.subject));
  });

  it('keeps every style attribute well-formed', () => {
    const { html } = renderMail('invitation', SAMPLE_DATA.invitation);
    for (const [, style] of html.matchAll(/style="([^"]*)"/g)) expect(style).toMatch(/;$/);
  });

  it('gives every template its own subject', () => {
    const subjects = NAMES.map((n) => renderMail(n, SAMPLE_DATA[n]).subject);
    expect(new Set(subjects).size).toBe(NAMES.length);
  });

  it('puts the link alone on its own line in the text body and as an href in HTML', () => {
    const mail = render('password-reset', SAMPLE_DATA['password-reset']);
    expect(mail.text.split('\n')).toContain(LINK);
    expect(mail.html).toContain(`href="${LINK}"`);
  });

  it('escapes user-chosen values in HTML', () => {
    const evil = '<script>alert("x")</script>';
    const mail = render('invitation', {
      name: evil,
      inviterName: `${evil}&`,
      tenantName: `Acme ${evil}`,
      link: LINK,
      expiresInDays: 7,
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).toContain('&lt;/script&gt;&amp;');
    // The text body is not HTML: the name appears as written.
    expect(mail.text).toContain(`Hello ${evil},`);
  });

  it('escapes quotes in links so an href cannot be broken out of', () => {
    const mail = render('password-reset', {
      name: 'A',
      link: 'https://id.example.com/reset?token=a"onmouseover="x',
      expiresInMinutes: 5,
    });
    expect(mail.html).not.toContain('"onmouseover');
  });

  it('refuses links that are not absolute http(s) URLs', () => {
    for (const link of [
      'javascript:alert(1)',
      'data:text/html,x',
      '/relative?token=x',
      'nonsense',
    ]) {
      expect(() => render('password-reset', { name: 'A', link, expiresInMinutes: 5 })).toThrow(
        /absolute http\(s\) URL/,
      );
    }
  });

  it('flattens control characters and line breaks in user values', () => {
    const mail = render('invitation', {
      name: 'Eve\r\n\r\nClick https://evil.example',
      tenantName: 'Acme\u202eevil',
      link: LINK,
      expiresInDays: 1,
    });
    expect(mail.text).toContain('Hello Eve Click https://evil.example,');
    expect(mail.subject).toBe('You have been invited to join Acme evil on Tessera');
    expect(mail.text).toContain('expires in 1 day ');
  });

  it('greets without a name when the name is empty', () => {
    expect(render('password-changed', { name: '' }).text).toMatch(/^Hello,\n/);
  });

  it('invitation works without an inviter', () => {
    const mail = render('invitation', { ...SAMPLE_DATA.invitation, inviterName: undefined });
    expect(mail.text).toContain('You have been invited to join Acme on Tessera.');
  });

  it('signup-attempt shows only the links it is given', () => {
    const none = render('signup-attempt', { name: 'A' });
    expect(none.text).not.toMatch(/https?:\/\//);
    const reset = render('signup-attempt', { name: 'A', resetLink: LINK });
    expect(reset.text).toContain(LINK);
    expect(reset.text).not.toContain('sign in:');
  });

  it('account-locked shows the end of the lock in UTC', () => {
    expect(render('account-locked', SAMPLE_DATA['account-locked']).text).toContain(
      'locked until 2030-01-02 03:04 UTC',
    );
    expect(() => render('account-locked', { name: 'A', until: new Date('nope') })).toThrow(
      /Invalid date/,
    );
  });

  it('mfa-code shows the code in the body but not in the subject', () => {
    const mail = render('mfa-code', SAMPLE_DATA['mfa-code']);
    expect(mail.text).toContain('    123456');
    expect(mail.html).toContain('123456');
    expect(mail.subject).not.toContain('123456');
  });

  it('recovery-code-used warns when codes run out', () => {
    expect(render('recovery-code-used', { name: 'A', remaining: 1 }).text).toContain(
      'you have 1 recovery code left',
    );
    expect(render('recovery-code-used', { name: 'A', remaining: 0 }).text).toContain(
      'You have no recovery codes left',
    );
    expect(render('recovery-code-used', { name: 'A', remaining: 5 }).text).not.toContain(
      'running low',
    );
  });

  it('rejects an unknown template name from untyped callers', () => {
    const name = 'nope' as MailTemplateName;
    expect(() => renderMail(name, { name: 'A' } as never)).toThrow(/Unknown mail template/);
  });
});

describe('recipient helpers', () => {
  it('accepts one plain address only', () => {
    expect(isSingleMailAddress('alice@example.com')).toBe(true);
    for (const bad of [
      'a@x.com, b@y.com',
      'a@x.com;b@y.com',
      'Alice <a@x.com>',
      'a@x.com\r\nBcc: b@y.com',
      'no-at-sign',
      ' a@x.com',
    ]) {
      expect(isSingleMailAddress(bad)).toBe(false);
    }
  });

  it('masks addresses for logs', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('broken')).toBe('***');
    expect(maskAddressIn('550 <Alice@Example.com> unknown', 'alice@example.com')).toBe(
      '550 <a***@example.com> unknown',
    );
  });
});

// Compile-time only (tsc checks specs): the data must match the template.
export function templateDataIsTyped(): void {
  // @ts-expect-error an invitation needs tenantName and expiresInDays
  renderMail('invitation', { name: 'x', link: LINK });
  // @ts-expect-error mfa-code data is not password-reset data
  renderMail('mfa-code', SAMPLE_DATA['password-reset']);
}
