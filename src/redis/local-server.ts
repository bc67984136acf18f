// Runs a redis-server child process: the gateway's own when REDIS_URL is unset, and every test's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createConnection } from 'node:net';

export interface LocalRedisOptions {
  /** Folder for the AOF files; created when missing. */
  dir: string;
  /** 0 or unset: pick a free port. */
  port?: number;
  appendfsync?: 'always' | 'everysec' | 'no';
  /** false: no persistence at all (tests that want Redis to forget). */
  persistence?: boolean;
  binary?: string;
  /** More redis-server arguments (a cluster node's `--cluster-enabled yes`, ...). */
  extraArgs?: string[];
  /** Start it in a process group of its own, out of reach of a terminal's Ctrl-C. */
  ownProcessGroup?: boolean;
}

export class RedisNotInstalledError extends Error {}

/** A free TCP port on 127.0.0.1, as the OS hands it out. */
/** redis-server ended before it answered PING (a bad option, a port in use). */
class ExitedAtStart extends Error {}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    let buf = '';
    sock.setTimeout(500, () => { sock.destroy(); ok(false); });
    sock.on('error', () => ok(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) { sock.destroy(); ok(buf.startsWith('+PONG')); }
    });
  });
}

/** A running redis-server child. */
// Children still running when this process exits without stopping them (an uncaught error, a
// closed stdout pipe) are ended here, synchronously; SIGTERM lets Redis flush its AOF first.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

export class LocalRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  port = 0;

  constructor(private readonly opts: LocalRedisOptions) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts (or restarts, on the same port and folder) and waits until it answers PING. A port we
   * picked can be taken by another process between freePort() and the bind (or, in cluster mode,
   * its bus port +10000 can be in use): then a new one is picked, a few times.
   */
  async start(): Promise<void> {
    const picked = !this.port && !this.opts.port;
    for (let attempt = 1; ; attempt++) {
      if (!this.port) this.port = this.opts.port || (await freePort());
      try {
        return await this.launch();
      } catch (err) {
        if (!picked || attempt >= 5 || !(err instanceof ExitedAtStart)) throw err;
        this.port = 0;
      }
    }
  }

  private async launch(): Promise<void> {
    const dir = resolve(this.opts.dir);
    mkdirSync(dir, { recursive: true });
    const persistence = this.opts.persistence ?? true;
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', persistence ? 'yes' : 'no', '--appendfsync', this.opts.appendfsync ?? 'everysec',
      '--daemonize', 'no', '--loglevel', 'warning', '--logfile', '',
      ...(this.opts.extraArgs ?? []),
    ];
    // In its own process group when asked: Ctrl-C in a terminal signals the whole foreground group,
    // and the gateway must drain before its Redis goes, so only the gateway may stop it.
    const child = spawn(this.opts.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: this.opts.ownProcessGroup ?? false });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    // With --logfile '' Redis logs to stdout: a start-up failure ("Address already in use") is there.
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    this.exited = new Promise((ok) => child.once('exit', () => ok()));
    const spawnError = new Promise<never>((_, fail) =>
      child.once('error', (err: NodeJS.ErrnoException) =>
        fail(err.code === 'ENOENT' ? new RedisNotInstalledError('redis-server not found on PATH') : err),
      ),
    );
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null) throw new ExitedAtStart(`redis-server on port ${this.port} exited with code ${child.exitCode}: ${output.trim()}`);
        if (await ping(this.port)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`redis-server on port ${this.port} did not answer within 5 s`);
    })();
    await Promise.race([ready, spawnError]);
    // Running: its log is no longer kept (drained, so the pipe never fills).
    for (const out of [child.stdout, child.stderr]) out?.removeAllListeners('data').resume();
  }

  /** SIGKILL: the crash a power cut looks like to Redis. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: Redis flushes its AOF and exits. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
