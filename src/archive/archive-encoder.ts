// Where archive files are encoded and written: one long-lived worker thread per archiver, started at
// its first file and terminated by stop(). A file is durable (fsynced, renamed, folder fsynced) when
// write() resolves, as with writeDurably on the main thread, so the mark that follows keeps the
// crash-safety protocol of archiver.ts unchanged.
import { Worker } from 'node:worker_threads';
import type { ArchivedEntry } from './parquet-file.js';

export interface EncodeRequest {
  seq: number;
  path: string;
  partition: number;
  entries: ArchivedEntry[];
}

export interface EncodeReply {
  seq: number;
  error?: string;
}

interface Pending {
  worker: Worker;
  ok: () => void;
  fail: (err: Error) => void;
}

// Under tsx (tests, dev) this module is a .ts file and so is its worker, which then needs tsx's
// loader. Node 20 ignores a loader given in a worker's execArgv (--import tsx: nodejs/node#47747),
// so the worker starts from a script that registers tsx and then imports the worker module.
// Compiled to dist/ both are .js and the worker needs nothing. Either way its execArgv is empty: it
// does not inherit the main thread's (the telemetry preload, among others).
const source = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(source ? './encode-worker.ts' : './encode-worker.js', import.meta.url);

function spawnWorker(): Worker {
  if (!source) return new Worker(WORKER_URL, { execArgv: [] });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`, { eval: true, execArgv: [] });
}

export class ArchiveEncoder {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  /** Encodes `entries` of `partition` and writes them durably to `path`, in the worker thread. */
  write(path: string, entries: ArchivedEntry[], partition: number): Promise<void> {
    const worker = (this.worker ??= this.spawn());
    const seq = ++this.seq;
    return new Promise<void>((ok, fail) => {
      this.pending.set(seq, { worker, ok, fail });
      // Keeps the process alive only while a file is being written.
      worker.ref();
      worker.postMessage({ seq, path, partition, entries } satisfies EncodeRequest);
    });
  }

  /** Terminates the worker; a file it was writing is not marked (a later pass removes it and archives the range again). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const worker = spawnWorker();
    worker.unref();
    worker.on('message', (r: EncodeReply) => {
      const p = this.pending.get(r.seq);
      if (!p) return;
      this.pending.delete(r.seq);
      if (this.pending.size === 0) worker.unref();
      if (r.error === undefined) p.ok();
      else p.fail(new Error(r.error));
    });
    const end = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [seq, p] of this.pending) {
        if (p.worker !== worker) continue;
        this.pending.delete(seq);
        p.fail(err);
      }
    };
    worker.on('error', end);
    worker.on('exit', (code) => end(new Error(`the archive worker thread exited (code ${code})`)));
    return worker;
  }
}
