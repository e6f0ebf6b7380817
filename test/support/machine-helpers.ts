import type { TestApp } from './app';
import { asUser } from './test-auth';

export { bearer } from './session-helpers';

export interface KeyBody {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
  status: string;
  userId: string | null;
  role: string | null;
  tenantId: string;
}

/** POST /v1/api-keys as a signed-in user; fails the test unless 201. */
export async function createKey(t: TestApp, userId: string, body: Record<string, unknown>): Promise<KeyBody> {
  const res = await t.http.post('/v1/api-keys').set(asUser(userId)).send({ name: 'test key', ...body });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as KeyBody;
}

export async function createS2s(t: TestApp, userId: string, body: Record<string, unknown>): Promise<KeyBody> {
  const res = await t.http.post('/v1/s2s-tokens').set(asUser(userId)).send({ name: 'integration', ...body });
  if (res.status !== 201) throw new Error(`create s2s: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as KeyBody;
}

export interface ClientBody {
  id: string;
  clientId: string;
  clientSecret: string;
  userId: string;
  scopes: string[];
}

export async function createClient(t: TestApp, adminId: string, body: Record<string, unknown>): Promise<ClientBody> {
  const res = await t.http.post('/v1/oauth-clients').set(asUser(adminId)).send({ name: 'svc', ...body });
  if (res.status !== 201) throw new Error(`create client: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as ClientBody;
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
