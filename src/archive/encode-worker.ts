// The archive's worker thread: encodes one file's entries to Parquet and writes it durably, off the
// main thread, whose event loop the synchronous encoder would otherwise stall (archive-encoder.ts).
import { parentPort } from 'node:worker_threads';
import { encodeEntries, writeDurably } from './parquet-file.js';
import type { EncodeRequest, EncodeReply } from './archive-encoder.js';

const port = parentPort!;
port.on('message', (req: EncodeRequest) => {
  const reply = (r: EncodeReply) => port.postMessage(r);
  writeDurably(req.path, encodeEntries(req.entries, req.partition)).then(
    () => reply({ seq: req.seq }),
    (err: unknown) => reply({ seq: req.seq, error: err instanceof Error ? err.message : String(err) }),
  );
});
