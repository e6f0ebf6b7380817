import { MfaCrypto, newRecoveryCodes, totpCodeAt, TOTP_PERIOD_S } from '@tessera/mfa';
import { generateSecret } from 'otplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, TestApp } from './app';

/**
 * Helpers for specs that meet MFA: TOTP codes computed with the same library at chosen
 * moments (now ± steps; no fake timers, which are risky with real I/O), an authenticator
 * enrolled directly (for specs about something else), and a login that completes the
 * second step.
 */

type Http = TestApp['http'];

/** The code of `steps` time steps from now. */
export function totpCode(secret: string, steps = 0): Promise<string> {
  return totpCodeAt(secret, Date.now() / 1000 + steps * TOTP_PERIOD_S);
}

/**
 * Waits until we are at least `margin` seconds away from the next step boundary, so a code
 * computed now is judged in the same step by the server (a ±2 test must not become ±1).
 */
export async function awayFromStepEdge(margin = 6): Promise<void> {
  const into = (Date.now() / 1000) % TOTP_PERIOD_S;
  if (into > TOTP_PERIOD_S - margin) await sleep((TOTP_PERIOD_S - into + 0.5) * 1000);
}

/** Waits for the next time step (a new code), for tests that need two distinct codes. */
export async function nextStep(): Promise<void> {
  const into = (Date.now() / 1000) % TOTP_PERIOD_S;
  await sleep((TOTP_PERIOD_S - into + 0.5) * 1000);
}

/** An active authenticator written directly (sealed with the app's own key); returns its secret. */
export async function enrolTotpDirectly(
  t: TestApp,
  user: { id: string; tenantId: string },
): Promise<string> {
  const secret = generateSecret();
  const sealed = t.app.get(MfaCrypto).sealTotpSecret(user.tenantId, user.id, secret);
  await sql(
    `insert into mfa_totp (user_id, tenant_id, secret_enc, status, confirmed_at) values ($1, $2, $3, 'active', now())
     on conflict (user_id) do update set secret_enc = excluded.secret_enc, status = 'active', confirmed_at = now(), last_used_step = null`,
    [user.id, user.tenantId, sealed],
  );
  return secret;
}

/** Recovery codes written directly; returns them. */
export async function recoveryCodesDirectly(
  t: TestApp,
  user: { id: string; tenantId: string },
  count = 10,
): Promise<string[]> {
  const crypto = t.app.get(MfaCrypto);
  const codes = newRecoveryCodes(count);
  for (const c of codes) {
    await sql(
      'insert into mfa_recovery_codes (tenant_id, user_id, code_digest) values ($1, $2, $3)',
      [user.tenantId, user.id, crypto.recoveryDigest(c)],
    );
  }
  return codes;
}

export interface LoginPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
}

/** Logs in; when a second factor is asked, answers with the authenticator's current code. */
export async function loginWithTotp(
  http: Http,
  email: string,
  password: string,
  secret: string,
): Promise<LoginPair> {
  const first = await http.post('/v1/auth/login').send({ email, password });
  if (first.status !== 200)
    throw new Error(`login of ${email}: ${first.status} ${JSON.stringify(first.body)}`);
  if (!first.body.mfa_required) return first.body as LoginPair;
  await awayFromStepEdge(3);
  // A code already used in this step (an earlier login) would be a replay: wait for a fresh one.
  for (let i = 0; i < 2; i++) {
    const res = await http
      .post('/v1/auth/mfa/verify')
      .send({ mfa_token: first.body.mfa_token, method: 'totp', code: await totpCode(secret) });
    if (res.status === 200) return res.body as LoginPair;
    if (i === 0 && res.body?.type === 'urn:tessera:problem:invalid-mfa-code') {
      await nextStep();
      continue;
    }
    throw new Error(`MFA verify of ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error('unreachable');
}
