#!/usr/bin/env node
// The npm registry reachable from our build machines does not serve some other-platform
// optional binaries (e.g. @swc/core-darwin-arm64, @unrs/resolver-binding-*). `npm install`
// then leaves them out of package-lock.json and `npm ci` refuses the lockfile ("Missing: …
// from lock file"). This adds each missing optional dependency as an os/cpu-bound optional
// entry, which `npm ci` skips on platforms that do not match. Run after `npm install`:
//   node scripts/lockfile-platform-entries.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64'];

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries({ ...pkgs })) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (pkgs[key] || pkgs[`${path}/${key}`]) continue;
    const base = name.split('/').pop();
    const os = OS.find((o) => base.includes(o));
    const cpu = CPU.find((c) => new RegExp(`-${c}(-|$)`).test(base));
    if (!os || !cpu) continue; // not a platform binary: leave it for npm to resolve
    const entry = { version: String(range).replace(/^[\^~=]/, ''), cpu: [cpu], os: [os], optional: true };
    if (meta.dev) entry.dev = true;
    if (base.includes('musl')) entry.libc = ['musl'];
    else if (base.includes('gnu')) entry.libc = ['glibc'];
    pkgs[key] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} platform entries`);
