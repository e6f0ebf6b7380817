import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionNodeFlags } from './node-flags';

const ROOT = join(__dirname, '..', '..', '..');

describe('production Node.js flags', () => {
  it('are read from `npm start` and include the young-generation size bench/ measured', () => {
    expect(productionNodeFlags(ROOT)).toContain('--max-semi-space-size=32');
  });

  it('are the same in the Dockerfile CMD', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const argv = JSON.parse(cmd![1]!) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.slice(1, -1)).toEqual(productionNodeFlags(ROOT));
    expect(argv[argv.length - 1]).toMatch(/main\.js$/);
  });
});
