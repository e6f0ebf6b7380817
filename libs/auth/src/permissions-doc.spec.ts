import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withPermissionsDoc } from './permissions-doc';

describe('README role and permission tables', () => {
  it('are what the registry generates (run `npm run docs:permissions` after changing it)', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(withPermissionsDoc(readme)).toBe(readme);
  });
});
