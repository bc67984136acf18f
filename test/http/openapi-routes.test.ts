// The OpenAPI file and the server agree: every operation has a handler and every route is in the spec.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { serviceHandlers } from '../../src/http/service-handlers.js';
import { SPEC_PATH } from '../../plugins/app/routes.js';
import { CONSOLE_FILES } from '../../plugins/app/console.js';

type Spec = { paths: Record<string, Record<string, { operationId?: string }>> };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;

t.test('every spec operation has a handler and every handler an operation', async (t) => {
  const ops = Object.values(spec.paths).flatMap((item) => METHODS.filter((m) => item[m]).map((m) => item[m]!.operationId));
  t.ok(ops.every((o) => typeof o === 'string'), 'every operation has an operationId');
  t.same([...ops].sort(), Object.keys(serviceHandlers).sort());
});

t.test('the server serves exactly the spec routes (the docs and web console pages aside)', async (t) => {
  const fromSpec = Object.entries(spec.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
  const served: string[] = [];
  const r = await startRedis(t);
  await startApp(t, r.url, {}, (route) => {
    for (const m of [route.method].flat()) {
      if (m !== 'HEAD' && !route.url.startsWith('/docs') && !(route.url in CONSOLE_FILES)) served.push(`${m} ${route.url}`);
    }
  });
  t.same([...new Set(served)].sort(), fromSpec);
});
