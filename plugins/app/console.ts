// Serves the web console (console/build/, made by console/build.mjs at install) at `/`.
// The few built files are read into memory once; the API calls they make carry the key.
import fp from 'fastify-plugin';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { projectRoot } from '../../src/util/project-root.js';

/** URL → built file; the spec-agreement test leaves these routes out (they are no API operations). */
export const CONSOLE_FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
} as const;

// The bundle has no inline script or style, and talks only to this origin (fetch and WebSocket).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOT_BUILT = 'The streamgate web console is not built. Run `npm run build:console` (it needs the dev dependencies, e.g. `npm install`), then restart the gateway. The API itself is served as usual (see /docs).\n';

interface Asset { body: Buffer; type: string; etag: string }

function load(dir: string): Map<string, Asset> | undefined {
  const assets = new Map<string, Asset>();
  for (const [url, { file, type }] of Object.entries(CONSOLE_FILES)) {
    const path = join(dir, file);
    if (!existsSync(path)) return undefined;
    const body = readFileSync(path);
    assets.set(url, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}

function securityHeaders(reply: FastifyReply): void {
  void reply.headers({
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
}

async function consolePlugin(app: FastifyInstance, opts: { dir?: string }): Promise<void> {
  // A worker serves only health and metrics.
  if (app.sg.config.role === 'worker') return;
  const dir = opts.dir ?? join(projectRoot(), 'console', 'build');
  const assets = load(dir);
  if (!assets) app.log.warn({ dir }, 'the web console is not built: `/` answers 503 until `npm run build:console` has run');

  for (const url of Object.keys(CONSOLE_FILES)) {
    app.get(url, async (req: FastifyRequest, reply: FastifyReply) => {
      securityHeaders(reply);
      const asset = assets?.get(url);
      if (!asset) return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
      // Revalidated on every load (the names carry no hash), so a rebuilt console is picked up at once.
      void reply.header('etag', asset.etag).header('cache-control', 'no-cache');
      if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === asset.etag)) return reply.code(304).send();
      return reply.type(asset.type).send(asset.body);
    });
  }
}

export default fp(consolePlugin, { name: 'console', fastify: '5.x', dependencies: ['services'] });
