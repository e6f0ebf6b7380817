/** Rewrites the generated role and permission tables in README.md from the registry. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withPermissionsDoc } from '../libs/auth/src/permissions-doc';

const path = join(__dirname, '..', 'README.md');
writeFileSync(path, withPermissionsDoc(readFileSync(path, 'utf8')));
console.log('README.md: role and permission tables regenerated');
