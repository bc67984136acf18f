// Worker-thread side of validate samples: loads the functions once, then answers one request at a
// time with rows or a refusal. The parent ends the worker when a sample overruns its budget.
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { compileOrRefuse } from './query-definition.js';
import { loadFunctionModules } from './function-modules.js';
import { runSample } from './sample.js';
import type { SampleRequest, SampleReply } from './sample-runner.js';

const functions = loadFunctionModules((workerData as { functionsDir: string | undefined }).functionsDir);

async function answer(req: SampleRequest): Promise<SampleReply> {
  try {
    return { ok: true, rows: runSample(compileOrRefuse(req.sql, await functions, req.decimals), req.settings, req.events, req.timeField) };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, code: err.code, message: err.message, errors: err.extra.errors };
    return { ok: false, code: 'SG_ERR_INTERNAL', message: (err as Error).message };
  }
}

parentPort?.on('message', (req: SampleRequest) => {
  void answer(req).then((reply) => parentPort?.postMessage(reply));
});
// Loading the compiler and the functions is not the sample's cost: the budget starts after it.
void functions.then(
  () => parentPort?.postMessage({ ready: true }),
  () => parentPort?.postMessage({ ready: true }),
);
