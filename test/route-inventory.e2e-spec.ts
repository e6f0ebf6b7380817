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
