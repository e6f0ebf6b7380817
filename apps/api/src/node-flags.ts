import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js/V8 flags production runs the API with, read from the one place they are
 * written: `npm start` in package.json (`node <flags> dist/…/main.js`). The Dockerfile's CMD
 * repeats them (node-flags.spec.ts fails on drift) and bench/ starts the app with them, so
 * what is measured is what is deployed.
 */
export function productionNodeFlags(root = join(__dirname, '..', '..', '..')): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /(?:^|&&\s*)node\s+((?:--\S+\s+)*)\S+main\.js/.exec(pkg.scripts.start ?? '');
  if (!m) throw new Error('package.json "start" does not run `node [flags] …/main.js`');
  return m[1]!.split(/\s+/).filter(Boolean);
}
