import { decodeCursor, encodeCursor } from './tenant-cursor';
import { InvalidCursorError } from './tenants.errors';

describe('tenant cursors', () => {
  const id = '3f1b6a0e-9c53-4a8e-9d9e-1a2b3c4d5e6f';

  it('round-trips and keeps microseconds', () => {
    const c = { createdAt: '2026-11-23T10:11:12.123456Z', id };
    const encoded = encodeCursor(c);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(c);
  });

  it.each([
    ['not base64url', '***'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    [
      'an object',
      Buffer.from(JSON.stringify({ createdAt: '2026-11-23T10:11:12.123456Z', id })).toString(
        'base64url',
      ),
    ],
    [
      'a millisecond timestamp',
      Buffer.from(JSON.stringify(['2026-11-23T10:11:12.123Z', id])).toString('base64url'),
    ],
    [
      'an injected timestamp',
      Buffer.from(JSON.stringify(["2026-11-23T10:11:12.123456Z' or 1=1 --", id])).toString(
        'base64url',
      ),
    ],
    [
      'a bad id',
      Buffer.from(JSON.stringify(['2026-11-23T10:11:12.123456Z', 'x'])).toString('base64url'),
    ],
    ['too long', 'a'.repeat(500)],
  ])('refuses %s', (_what, value) => {
    expect(() => decodeCursor(value)).toThrow(InvalidCursorError);
  });
});
