// Runs a validate sample in a worker thread with a time and heap budget, so that a hostile sample
// neither stalls the event loop nor exhausts the process: past the budget the worker is ended.
import { Worker } from 'node:worker_threads';
import type { Row } from '../engine/index.js';
import { AppError, type ErrorCode, type FieldError } from '../errors.js';
import type { SampleSettings } from './sample.js';
import type { DeclaredDecimals } from '../streams/declared-types.js';

export interface SampleRequest {
  sql: string;
  /** Fields the stream's schema declares DECIMAL(p, s). */
  decimals?: DeclaredDecimals;
  settings: SampleSettings;
  events: unknown[];
  /** The stream's time field: the sample's event times are read from it, as ingest does. */
  timeField: string;
}

export type SampleReply = { ok: true; rows: Row[] } | { ok: false; code: ErrorCode; message: string; errors?: FieldError[] | undefined };

export interface SampleBudget {
  timeoutMs: number;
  memoryMb: number;
  /** Samples running at once in this process (one worker each); more answer 503. */
  concurrency: number;
  functionsDir: string | undefined;
}

// In dist the worker is a .js file; under tsx (tests, dev) it is the .ts source, which a worker can
// load only after registering tsx's loader itself (hooks given to the parent do not reach workers).
const workerUrl = new URL(`./sample-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const workerSource = import.meta.url.endsWith('.ts')
  ? new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(workerUrl.href)});`)}`)
  : workerUrl;

// Starting a worker loads the compiler (about 0.3 s built, 0.5 s under tsx; more on a loaded machine).
const WORKER_START_MS = 30_000;

/** Validate samples in worker threads: idle workers are kept warm; one that overruns its budget is ended. */
export class SampleRunner {
  private running = 0;
  private readonly idle: Worker[] = [];

  constructor(private readonly budget: SampleBudget) {}

  async run(req: SampleRequest): Promise<Row[]> {
    if (this.running >= this.budget.concurrency) {
      throw new AppError('SG_ERR_OVERLOADED', `${this.running} validate samples are running; retry shortly`, { retryAfterSeconds: 1 });
    }
    this.running++;
    try {
      const reply = await this.inWorker(req);
      if (reply.ok) return reply.rows;
      throw new AppError(reply.code, reply.message, reply.errors ? { errors: reply.errors } : {});
    } finally {
      this.running--;
    }
  }

  /** Ends the idle workers (the app is closing). */
  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }

  private spawn(): Promise<Worker> {
    const { memoryMb, functionsDir } = this.budget;
    const worker = new Worker(workerSource, {
      workerData: { functionsDir },
      // Not the parent's flags: the telemetry preload would start an SDK in every worker.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.floor(memoryMb / 8)) },
      stdout: true,
      stderr: true,
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new AppError('SG_ERR_OVERLOADED', 'the validate worker did not start in time; retry shortly', { retryAfterSeconds: 1 }));
      }, WORKER_START_MS);
      worker.once('message', () => {
        clearTimeout(timer);
        resolve(worker);
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private async inWorker(req: SampleRequest): Promise<SampleReply> {
    const { timeoutMs, memoryMb } = this.budget;
    const worker = this.idle.pop() ?? (await this.spawn());
    return new Promise((resolve, reject) => {
      const done = (fn: () => void, reusable: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (reusable) this.idle.push(worker);
        else void worker.terminate();
        fn();
      };
      const onMessage = (reply: SampleReply) => done(() => resolve(reply), true);
      const onError = (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          done(() => reject(new AppError('SG_ERR_VALIDATE_BUDGET', `the sample needed more than its budget of ${memoryMb} MB (VALIDATE_MEMORY_MB)`, { cause: err })), false);
        } else done(() => reject(err), false);
      };
      const onExit = (code: number) => done(() => reject(new Error(`validate worker exited with code ${code} before answering`)), false);
      const timer = setTimeout(() => {
        done(() => reject(new AppError('SG_ERR_VALIDATE_BUDGET', `the sample took longer than its budget of ${timeoutMs} ms (VALIDATE_TIMEOUT)`)), false);
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(req);
    });
  }
}
