// `npm start`'s pre-step: compile only when a source changed since the last build, so a restart
// (a supervisor's, after a crash) is not held up by a full TypeScript compile.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** The newest modification time under the given files and folders (0 when none exists). */
function newest(paths, accept) {
  let max = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) visit(join(p, name));
    } else if (accept(p)) {
      max = Math.max(max, st.mtimeMs);
    }
  };
  for (const p of paths) visit(join(root, p));
  return max;
}

function mtime(file) {
  const p = join(root, file);
  return existsSync(p) ? statSync(p).mtimeMs : 0;
}

function run(what, args) {
  process.stderr.write(`streamgate: ${what}\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// tsc rewrites every output on a build, so the entry file's time is the time of the last build.
if (newest(['client/src', 'client/tsconfig.json'], () => true) > mtime('client/dist/index.js')) run('the client package changed: compiling it', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'client/tsconfig.json']);
const sources = newest(['src', 'plugins', 'tsconfig.json', 'tsconfig.build.json'], (p) => /\.(ts|json)$/.test(p));
if (sources > mtime('dist/src/server.js')) run('sources changed since the last build: compiling', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);

const consoleSources = newest(['console/src', 'console/index.html', 'console/build.mjs', 'client/src'], () => true);
if (existsSync(join(root, 'console', 'build.mjs')) && consoleSources > mtime('console/build/index.html')) run('console sources changed: building the console', [join(root, 'console', 'build.mjs')]);
