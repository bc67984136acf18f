// Builds the web console into console/build/ (index.html, app.js, app.css); `npm install` runs it
// through the root `prepare` script. esbuild is a dev dependency: a production install without it
// keeps an existing build, and the gateway explains at `/` when there is none.
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  const note = existsSync(join(out, 'app.js'))
    ? 'esbuild is not installed (a production install?): keeping the existing console build'
    : 'esbuild is not installed: the web console is not built, and `/` will answer 503 until `npm run build:console` runs with dev dependencies';
  console.warn(`console/build.mjs: ${note}`);
  process.exit(0);
}

await mkdir(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'es2020',
  format: 'iife',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(here, 'tsconfig.json'),
  // The live client is bundled from its source, so the console does not wait on client/dist.
  alias: { '@streamgate/client': join(here, '..', 'client', 'src', 'index.ts') },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
await copyFile(join(here, 'index.html'), join(out, 'index.html'));
const sizes = Object.entries(result.metafile.outputs).map(([file, o]) => `${file.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
console.log(`console/build.mjs: built console/build/ (${sizes.join(', ')})`);
