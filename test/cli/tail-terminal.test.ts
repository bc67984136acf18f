// `streamgate tail` and `streamgate sql` in a real terminal (tmux): the live table is redrawn in
// place as changes arrive, fits the terminal's width, and Ctrl-C ends cleanly.
import t from 'tap';
import { liveGateway, ADMIN_KEY } from '../helpers/live-gateway.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { terminal } from '../helpers/tmux.js';

const command = (args: string) => `cd ${JSON.stringify(ROOT)}\n${JSON.stringify(process.execPath)} ${CLI.map((a) => JSON.stringify(a)).join(' ')} ${args}\necho "EXIT=$?"\nsleep 120`;

/** Table lines on the screen whose first cell is one of `keys`, in screen order. */
function rowsOf(screen: string, keys: string[]): string[] {
  return screen.split('\n').filter((l) => keys.includes(l.split(/\s+/)[0]!));
}

t.test('tail: the table is redrawn in place on each change, sorted by key, within the width', async (t) => {
  const g = await liveGateway(t);
  await g.post('orders', [{ k: 'b', amount: 2 }, { k: 'a', amount: 1 }, { k: 'c', amount: 3 }]);
  const id = await g.createQuery('SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY k', { name: 'board' });
  await g.caughtUp(id);
  const term = terminal(t, command('tail board'), { STREAMGATE_URL: g.url, STREAMGATE_API_KEY: ADMIN_KEY });

  let screen = await term.waitFor('the first table', (s) => rowsOf(s, ['a', 'b', 'c']).length === 3);
  t.match(screen, new RegExp(`^board \\(${id}\\)\\s+3 row\\(s\\)\\s+live`, 'm'), 'a title with the row count and the connection state');
  t.match(screen, /^k\s+n\s+total$/m, 'the columns in query order');
  t.same(rowsOf(screen, ['a', 'b', 'c']).map((l) => l.split(/\s+/)), [['a', '1', '1'], ['b', '1', '2'], ['c', '1', '3']], 'rows sorted by key');

  await g.post('orders', [{ k: 'b', amount: 10 }, { k: 'b', amount: 10 }, { k: 'aa', amount: 5 }]);
  screen = await term.waitFor('the changed table', (s) => rowsOf(s, ['b']).join() .includes('22') && rowsOf(s, ['aa']).length === 1);
  t.same(rowsOf(screen, ['a', 'aa', 'b', 'c']).map((l) => l.split(/\s+/)), [['a', '1', '1'], ['aa', '1', '5'], ['b', '3', '22'], ['c', '1', '3']], 'the changed row and the new one, in key order');
  t.equal(screen.match(/^board \(/gm)?.length, 1, 'redrawn in place: one title, one table');
  t.match(screen, /4 row\(s\)/);

  // A value wider than the terminal: the column shrinks and the cell is cut with an ellipsis.
  await g.post('orders', [{ k: `z${'x'.repeat(300)}`, amount: 1 }]);
  screen = await term.waitFor('the wide row', (s) => /^zx+…/m.test(s));
  t.ok(screen.split('\n').every((l) => l.length <= 120), 'no line wider than the terminal');
  t.match(screen, /^zx+…\s+1\s+1$/m, 'the wide cell is cut, the other columns stay');

  term.key('C-c');
  await term.waitFor('a clean exit', (s) => s.includes('EXIT=0'));
  t.pass('Ctrl-C exits with 0');
});

t.test('sql: a refused statement shows line:column and a caret; a good one is tailed until Ctrl-C', async (t) => {
  const g = await liveGateway(t);
  await g.post('s', [{ k: 'x' }, { k: 'y' }, { k: 'x' }]);
  const term = terminal(t, command('sql'), { STREAMGATE_URL: g.url, STREAMGATE_API_KEY: ADMIN_KEY });
  // capture-pane drops trailing spaces: the prompt reads `streamgate>`.
  await term.waitFor('the prompt', (s) => s.includes('streamgate>'));

  term.type('SELECT k, COUNT(*) AS n FROM s GROUP BY k ORDER BY k;');
  let screen = await term.waitFor('the error', (s) => /error at \d+:\d+/.test(s));
  const m = /error at (\d+):(\d+): .*\n(\d+ \| )(.*)\n( *)\^/.exec(screen);
  t.ok(m, 'the position, the line, and a caret');
  if (m) t.equal(m[5]!.length, m[3]!.length + Number(m[2]) - 1, `the caret under column ${m[2]}`);

  term.type('SELECT k, COUNT(*) AS n');
  await term.waitFor('a continuation prompt', (s) => s.includes('...'));
  term.type('FROM s GROUP BY k;');
  screen = await term.waitFor('the live table', (s) => rowsOf(s, ['x', 'y']).length === 2);
  t.same(rowsOf(screen, ['x', 'y']).map((l) => l.split(/\s+/)), [['x', '2'], ['y', '1']]);
  await g.post('s', [{ k: 'y' }, { k: 'y' }]);
  await term.waitFor('the change', (s) => rowsOf(s, ['y']).some((l) => l.split(/\s+/)[1] === '3'));
  t.pass('the change is on the table');

  term.key('C-c');
  await term.waitFor('back to the prompt', (s) => /keeps running[^\n]*\nstreamgate>$/m.test(s.trimEnd()));
  term.type('\\queries');
  await term.waitFor('the list', (s) => /q_[0-9a-f]{16}\s+\S+\s+running/.test(s));
  t.pass('\\queries lists it, running');
  term.type('\\q');
  await term.waitFor('a clean exit', (s) => s.includes('EXIT=0'));
  t.pass('\\q exits with 0');
});
