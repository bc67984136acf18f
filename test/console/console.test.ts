// The web console in a real browser (Debian's Chromium through playwright-core) against a real
// gateway and redis-server: streams and queries listed, live rows changing over the WebSocket
// (and resuming after a drop), the window chart, and an SQL error shown at its line and column.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRedis } from '../helpers/redis.js';
import { listening } from '../helpers/push.js';
import { waitUntil } from '../helpers/wait.js';
import consolePlugin from '../../plugins/app/console.js';
import { projectRoot } from '../../src/util/project-root.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const KEY = 'console-test-key-0123456789abcdef';
const SHOTS = join(projectRoot(), '.tap', 'screenshots');
const BUILD = join(projectRoot(), 'console', 'build');
// Event times on whole minutes, so the 1-minute windows are easy to read.
const T0 = Date.parse('2026-01-01T10:00:00Z');

t.setTimeout(100_000);

/** Calls the gateway's API with the key, as any client would. */
function apiOf(url: string, key?: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

async function shot(page: Page, name: string): Promise<string> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`# screenshot: ${path}`);
  return path;
}

async function launch(): Promise<Browser> {
  // A fresh temporary profile per launch (playwright's default), removed on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
  t.teardown(async () => {
    // close() ends the browser process; a hung close must not hold the file past its timeout.
    await Promise.race([browser.close(), new Promise((ok) => setTimeout(ok, 5_000))]);
  });
  return browser;
}

t.test('Chromium is installed', async (t) => {
  t.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it (apt-get install chromium) to run the browser tests`);
});

t.test('the console is built and served with its content types, ETags and CSP', async (t) => {
  t.ok(existsSync(join(BUILD, 'app.js')), 'console/build exists (npm install runs `npm run build:console`)');
  const r = await startRedis(t);
  const { url } = await listening(t, r.url, { API_KEYS: KEY });
  const page = await fetch(`${url}/`);
  t.equal(page.status, 200, 'no key needed for the page itself');
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/);
  t.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const etag = page.headers.get('etag')!;
  t.ok(etag, 'an ETag');
  t.equal((await fetch(`${url}/`, { headers: { 'if-none-match': etag } })).status, 304, 'revalidates with 304');
  t.match((await fetch(`${url}/console/app.js`)).headers.get('content-type'), /^text\/javascript/);
  t.match((await fetch(`${url}/console/app.css`)).headers.get('content-type'), /^text\/css/);
  t.equal((await fetch(`${url}/v1/streams`)).status, 401, 'the API still needs the key');
});

t.test('without a build, `/` explains how to make one (503)', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'sg-console-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const app = Fastify({ logger: false });
  // The plugin reads only the process role from the services.
  await app.register(fp(async (a) => void a.decorate('sg', { config: { role: 'all' } } as never), { name: 'services' }));
  await app.register(consolePlugin, { dir: empty });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/' });
  t.equal(res.statusCode, 503);
  t.match(res.headers['content-type'], /^text\/plain/);
  t.match(res.body, /npm run build:console/);
});

t.test('the main flow in Chromium, auth on', async (t) => {
  if (!existsSync(CHROMIUM)) return t.fail(`${CHROMIUM} is missing: install it (apt-get install chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  const r = await startRedis(t);
  const { url } = await listening(t, r.url, { API_KEYS: KEY });
  const api = apiOf(url, KEY);

  // Uneven counts per minute and region, so the chart has something to show.
  // In event-time order: with no lateness, an older event after a newer one would be late.
  const events = Array.from({ length: 24 }, (_, i) => ({ region: ['eu', 'us', 'eu', 'asia', 'us', 'eu'][(i * 5) % 6], amount: 5 + ((i * 7) % 11) * 3, ts: T0 + ((i * i * 7_919) % 420_000) }))
    .sort((a, b) => a.ts - b.ts);
  await api('POST', '/v1/streams/orders/events', events);
  const sql = 'SELECT region, COUNT(*) AS orders, SUM(amount) AS revenue, window_start FROM orders GROUP BY region, TUMBLE(ts, INTERVAL \'1\' MINUTE)';
  const { id } = await api<{ id: string }>('POST', '/v1/queries', { sql, name: 'orders-per-minute', start: 'earliest' });
  await waitUntil('the query caught up', async () => (await api<{ lag: number; processed: number }>('GET', `/v1/queries/${id}`)).processed === events.length, 30_000);

  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  const consoleErrors: string[] = [];
  // Refused API calls (the 401 before the key, the 400 of the invalid SQL) are logged by Chromium too.
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource: .* (400|401)/.test(m.text())) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const sockets: { url: string; frames: string[] }[] = [];
  page.on('websocket', (ws) => {
    const s = { url: ws.url(), frames: [] as string[] };
    sockets.push(s);
    ws.on('framereceived', (f) => s.frames.push(String(f.payload)));
  });

  await page.goto(`${url}/`);
  await page.getByText('This gateway needs an API key').waitFor();
  await page.getByLabel('API key').fill(KEY);
  await page.getByRole('button', { name: 'Use key' }).click();
  const streams = page.getByTestId('streams');
  await streams.getByRole('cell', { name: 'orders', exact: true }).waitFor();
  t.ok(await streams.getByRole('cell', { name: '24', exact: true }).isVisible(), 'the stream length');
  // A second batch between polls gives the stream a rate.
  await api('POST', '/v1/streams/orders/events', events.slice(0, 6).map((e, i) => ({ ...e, ts: T0 + 420_000 + i * 20_000 })));
  await streams.getByRole('cell', { name: '30', exact: true }).waitFor();
  await streams.locator('.spark canvas').first().waitFor({ state: 'attached', timeout: 10_000 });
  await shot(page, 'console-streams');

  await page.getByRole('link', { name: 'Queries' }).click();
  const queries = page.getByTestId('queries');
  await queries.getByRole('link', { name: 'orders-per-minute' }).waitFor();
  t.ok(await queries.getByText('running').isVisible(), 'the status badge');
  await page.waitForTimeout(2_500); // a second poll, so the sparklines have a line
  await shot(page, 'console-queries');

  await queries.getByRole('link', { name: 'orders-per-minute' }).click();
  await page.waitForURL(`**/#/queries/${id}`);
  const results = page.getByTestId('results');
  await results.getByRole('cell', { name: 'asia' }).first().waitFor();
  await page.getByTestId('live-state').getByText('live').waitFor();
  t.equal(await results.getByRole('cell', { name: 'latam' }).count(), 0, 'no latam row yet');

  // A POST shows up in the table with no reload.
  await api('POST', '/v1/streams/orders/events', [{ region: 'latam', amount: 42, ts: T0 + 600_000 }]);
  await results.getByRole('cell', { name: 'latam' }).waitFor({ timeout: 15_000 });
  await shot(page, 'console-live-table');

  const chart = page.getByTestId('chart');
  await chart.locator('canvas').waitFor();
  t.ok(await chart.locator('.u-legend').getByText('latam').isVisible(), 'one series per region');
  const chartPanel = page.locator('.panel', { has: chart });
  await chartPanel.scrollIntoViewIfNeeded();
  await chartPanel.screenshot({ path: join(SHOTS, 'console-chart.png') });
  console.log(`# screenshot: ${join(SHOTS, 'console-chart.png')}`);

  // A dropped socket resumes from its last offset: no second snapshot, and nothing missed.
  const before = sockets.length;
  await page.getByRole('button', { name: 'Reconnect' }).click();
  await waitUntil('a second socket', async () => sockets.length > before);
  await page.getByTestId('live-state').getByText('live').waitFor();
  await api('POST', '/v1/streams/orders/events', [{ region: 'africa', amount: 7, ts: T0 + 605_000 }]);
  await results.getByRole('cell', { name: 'africa' }).waitFor({ timeout: 15_000 });
  const resumed = sockets.at(-1)!;
  t.match(resumed.url, /[?&]from=/, 'the new socket resumes from an offset');
  t.notOk(resumed.frames.some((f) => f.includes('"snapshot"')), 'no snapshot on resume');
  t.notOk(sockets.some((s) => s.url.includes(KEY)), 'the key is never in a WebSocket URL');

  await page.getByRole('link', { name: 'SQL' }).click();
  const editor = page.getByLabel('SQL');
  await editor.fill('SELECT region, COUNT(*) AS n\nFROM orders JOIN refunds ON orders.id = refunds.id\nGROUP BY region');
  await page.getByRole('button', { name: 'Validate' }).click();
  const outcome = page.getByTestId('sql-outcome');
  await outcome.waitFor();
  t.match(await outcome.textContent(), /^line 2, column \d+: /, 'the error at its line and column');
  t.ok(await page.locator('.gutter .error-line').getByText('2', { exact: true }).isVisible(), 'the line is marked');
  await shot(page, 'console-sql-error');

  await editor.fill(sql);
  await page.getByRole('button', { name: 'Explain' }).click();
  await page.getByTestId('explain').waitFor();
  t.match(await outcome.textContent(), /^Valid: reads orders/);

  t.same(consoleErrors, [], 'no errors in the browser console (CSP included)');
});

t.test('auth off: the console works without a key', async (t) => {
  if (!existsSync(CHROMIUM)) return t.fail(`${CHROMIUM} is missing: install it (apt-get install chromium)`);
  const r = await startRedis(t);
  const { url } = await listening(t, r.url);
  await apiOf(url)('POST', '/v1/streams/clicks/events', [{ page: '/home' }]);
  const browser = await launch();
  const page = await browser.newPage();
  await page.goto(`${url}/#/streams`);
  await page.getByTestId('streams').getByRole('cell', { name: 'clicks', exact: true }).waitFor();
  t.equal(await page.getByText('needs an API key').count(), 0);

  // A query's own page: its sinks, then pause, resume and delete from the buttons.
  const api = apiOf(url);
  const q = await api<{ id: string }>('POST', '/v1/queries', { sql: 'SELECT page, COUNT(*) AS n FROM clicks GROUP BY page', name: 'pages', sinks: [{ type: 'webhook', name: 'hook', url: 'http://127.0.0.1:9/nowhere', secret: 'webhook-secret-0123456789', retryBaseMs: 50, maxAttempts: 1 }] });
  await page.goto(`${url}/#/queries/${q.id}`);
  const status = page.getByTestId('query-status');
  await status.getByText('running').waitFor();
  await page.getByTestId('sinks').getByRole('cell', { name: 'hook', exact: true }).waitFor();
  await page.getByTestId('sinks').getByText(/dead-lettered a batch/).waitFor({ timeout: 15_000 });
  await shot(page, 'console-query-sinks');
  await page.getByRole('button', { name: 'Pause' }).click();
  await status.getByText('paused').waitFor({ timeout: 10_000 });
  t.equal((await api<{ status: string }>('GET', `/v1/queries/${q.id}`)).status, 'paused', 'Pause paused it');
  await page.getByRole('button', { name: 'Resume' }).click();
  await status.getByText('running').waitFor({ timeout: 10_000 });
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL(/#\/queries$/);
  await waitUntil('the query deleted', async () => api('GET', `/v1/queries/${q.id}`).then(() => false, (err: Error) => / 404 /.test(err.message)));
  t.pass('Delete deleted it and went back to the list');
});

