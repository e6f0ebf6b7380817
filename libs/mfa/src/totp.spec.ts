import { checkTotp, newTotpSecret, totpCodeAt, totpUri, TOTP_PERIOD_S } from './totp';

describe('TOTP (RFC 6238 through otplib)', () => {
  // The middle of a step: ±1 step stays ±1 whatever the rounding.
  const now = 1_790_000_000 - (1_790_000_000 % TOTP_PERIOD_S) + 15;

  it('RFC 6238 appendix B vector (SHA-1, 8 digits would be 94287082; 6 digits: 287082)', async () => {
    // Secret "12345678901234567890" in base32.
    expect(await totpCodeAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59)).toBe('287082');
  });

  it('accepts the current step and one either side, refuses two, and returns the matched step', async () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const step = Math.floor(now / TOTP_PERIOD_S);
    for (const d of [-1, 0, 1]) {
      expect(
        await checkTotp(secret, await totpCodeAt(secret, now + d * TOTP_PERIOD_S), now),
      ).toEqual({ valid: true, step: step + d });
    }
    for (const d of [-3, -2, 2, 3]) {
      const code = await totpCodeAt(secret, now + d * TOTP_PERIOD_S);
      // A code of another step may collide with a valid one by chance (1 in 10^6): skip it then.
      const valid = await Promise.all(
        [-1, 0, 1].map((x) => totpCodeAt(secret, now + x * TOTP_PERIOD_S)),
      );
      if (!valid.includes(code))
        expect(await checkTotp(secret, code, now)).toEqual({ valid: false });
    }
  });

  it('refuses anything that is not 6 digits', async () => {
    const secret = newTotpSecret();
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456'])
      expect(await checkTotp(secret, bad, now)).toEqual({ valid: false });
  });

  it('builds an otpauth URI any authenticator app reads', () => {
    expect(totpUri('Tessera', 'ada@example.com', 'JBSWY3DPEHPK3PXP')).toBe(
      'otpauth://totp/Tessera:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Tessera',
    );
  });
});
