import { escapeHtml } from './escape-html';

export const PRODUCT_NAME = 'Tessera';

/**
 * A message is described once as blocks and rendered twice, as text and as HTML, so
 * the two bodies always say the same thing and escaping happens in one place only.
 */
export type MailBlock =
  | { kind: 'paragraph'; text: string }
  /** A link the reader is asked to open; rendered as a button plus the bare URL. */
  | { kind: 'action'; label: string; url: string }
  /** A short value to copy, such as a one-time code. */
  | { kind: 'code'; value: string };

export interface MailContent {
  subject: string;
  /** Addressee's display name; empty gives a greeting without a name. */
  name: string;
  blocks: MailBlock[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

// C0/C1 controls, line and paragraph separators, and bidi overrides: in a user-chosen
// name they could forge extra lines or reorder what the reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** Makes a user-supplied value safe for one line of text: no controls, bounded length. */
export function singleLine(value: string, maxLength = 200): string {
  const flat = String(value).replace(UNSAFE_CHARS, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/**
 * Only absolute http(s) links go into a message: a `javascript:` or `data:` URL in an
 * href would be a script injection, and a relative one would not work in a mail client.
 */
export function assertMailLink(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('A mail link must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TypeError('A mail link must be an absolute http(s) URL');
  }
  return parsed.toString();
}

function greeting(name: string): string {
  const clean = singleLine(name, 100);
  return clean ? `Hello ${clean},` : 'Hello,';
}

const FOOTER = `This is an automated message from ${PRODUCT_NAME}. Replies to this address are not read.`;

export function renderText(content: MailContent): string {
  const parts = [greeting(content.name)];
  for (const block of content.blocks) {
    switch (block.kind) {
      case 'paragraph':
        parts.push(singleLine(block.text, 2000));
        break;
      case 'action':
        // The URL stands alone on its line, with nothing after it, so mail clients
        // and tests can pick it out without trailing punctuation.
        parts.push(`${singleLine(block.label)}:\n${assertMailLink(block.url)}`);
        break;
      case 'code':
        parts.push(`    ${singleLine(block.value, 100)}`);
        break;
    }
  }
  parts.push(`-- \n${FOOTER}`);
  return `${parts.join('\n\n')}\n`;
}

const STYLE = {
  // Styles sit inside double-quoted attributes: single quotes only in here.
  body: "margin:0;padding:24px 12px;background:#f4f5f7;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;",
  card: 'max-width:560px;width:100%;background:#ffffff;border-radius:8px;padding:32px;',
  brand: 'margin:0 0 24px;font-size:18px;font-weight:600;',
  p: 'margin:0 0 16px;font-size:15px;line-height:1.5;',
  button:
    'display:inline-block;padding:12px 20px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;',
  fallback: 'margin:0 0 16px;font-size:13px;line-height:1.5;color:#57606a;word-break:break-all;',
  code: 'margin:0 0 16px;font-family:Menlo,Consolas,monospace;font-size:28px;letter-spacing:4px;font-weight:600;',
  footer: 'margin:32px 0 0;font-size:12px;color:#6a737d;',
};

export function renderHtml(content: MailContent): string {
  const e = escapeHtml;
  const body: string[] = [`<p style="${STYLE.p}">${e(greeting(content.name))}</p>`];
  for (const block of content.blocks) {
    switch (block.kind) {
      case 'paragraph':
        body.push(`<p style="${STYLE.p}">${e(singleLine(block.text, 2000))}</p>`);
        break;
      case 'action': {
        const url = e(assertMailLink(block.url));
        body.push(
          `<p style="${STYLE.p}"><a href="${url}" style="${STYLE.button}">${e(singleLine(block.label))}</a></p>`,
          `<p style="${STYLE.fallback}">If the button does not work, copy this link into your browser:<br>` +
            `<a href="${url}">${url}</a></p>`,
        );
        break;
      }
      case 'code':
        body.push(`<p style="${STYLE.code}">${e(singleLine(block.value, 100))}</p>`);
        break;
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(singleLine(content.subject))}</title></head>`,
    `<body style="${STYLE.body}">`,
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">',
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="${STYLE.card}"><tr><td>`,
    `<p style="${STYLE.brand}">${PRODUCT_NAME}</p>`,
    ...body,
    `<p style="${STYLE.footer}">${e(FOOTER)}</p>`,
    '</td></tr></table>',
    '</td></tr></table>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function renderContent(content: MailContent): RenderedMail {
  return {
    subject: singleLine(content.subject, 250),
    text: renderText(content),
    html: renderHtml(content),
  };
}
