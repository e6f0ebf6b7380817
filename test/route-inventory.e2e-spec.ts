import { listRoutes } from '@tessera/auth';
import { startApp, TestApp } from './support/app';
import { FixturesModule } from './fixtures/fixtures.controller';

/**
 * Every route of the API with its access declaration. A new route, a route made public,
 * or a changed permission changes this snapshot, so it is reviewed as such.
 */
describe('route inventory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('lists every route with its access declaration', () => {
    expect(listRoutes(t.app).map((r) => `${r.method.padEnd(6)} ${r.path}  →  ${r.access}`)).toMatchSnapshot();
  });

  it('publishes each route\'s permissions, tier and credential types in OpenAPI from the same declaration', async () => {
    const doc = (await t.http.get('/docs/json')).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const toOpenApi = (p: string) => p.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const route of listRoutes(t.app)) {
      const op = doc.paths[toOpenApi(route.path)]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, documented: !!op }).toEqual({ route: `${route.method} ${route.path}`, documented: true });
      if (route.access === 'public') {
        expect(op!['x-permissions']).toBeUndefined();
        continue;
      }
      const described = `${(op!['x-permissions'] as string[]).join(' + ')} (tier ${op!['x-risk-tier']}) [${(op!['x-credential-types'] as string[]).join('|')}]`;
      expect(`${route.method} ${route.path} ${described}`).toBe(`${route.method} ${route.path} ${route.access}`);
      expect(op!.security).toEqual([{ bearer: [] }]);
    }
  });

  it('has no route without a declaration', () => {
    expect(listRoutes(t.app).filter((r) => r.access === 'undeclared')).toEqual([]);
  });

  it('would flag a route that declares nothing', async () => {
    const withFixture = await startApp({}, { extraModules: [FixturesModule] });
    try {
      const undeclared = listRoutes(withFixture.app).filter((r) => r.access === 'undeclared');
      expect(undeclared).toEqual([{ method: 'GET', path: '/test-fixtures/protected', access: 'undeclared' }]);
    } finally {
      await withFixture.close();
    }
  });
});
