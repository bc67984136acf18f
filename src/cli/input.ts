// Events from a file or stdin: one JSON object, a JSON array, or NDJSON (read line by line, so a
// large file is never held whole).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** One event and the input line it started on, for error messages. */
export interface InputEvent {
  event: unknown;
  line: number;
}

export class InputError extends Error {}

export async function* readEvents(source: string | undefined, stdin: Readable = process.stdin): AsyncGenerator<InputEvent> {
  const input = source === undefined || source === '-' ? stdin : createReadStream(source);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let mode: 'unknown' | 'ndjson' | 'json' = 'unknown';
  let text = '';
  let firstLine = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (mode === 'json') {
      text += `${line}\n`;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (mode === 'unknown') {
      firstLine = n;
      // A whole-document form: an array, or an object pretty-printed over several lines.
      if (trimmed.startsWith('[') || !parses(trimmed)) {
        mode = 'json';
        text = `${line}\n`;
        continue;
      }
      mode = 'ndjson';
    }
    let event: unknown;
    try {
      event = JSON.parse(trimmed);
    } catch (err) {
      throw new InputError(`line ${n}: not JSON (${(err as Error).message})`);
    }
    yield { event, line: n };
  }
  if (mode !== 'json') return;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`the input is neither NDJSON nor one JSON document: ${(err as Error).message}`);
  }
  if (Array.isArray(doc)) for (const event of doc) yield { event, line: firstLine };
  else yield { event: doc, line: firstLine };
}

function parses(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
