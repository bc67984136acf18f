// The process's logger: JSON lines for machines, readable lines for a person at a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { traceLogMixin } from '../telemetry/log-context.js';

export function processLogger(level: string, format: 'auto' | 'json' | 'pretty'): Logger {
  const readable = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!readable) return pino({ level, mixin: traceLogMixin });
  // Synchronous: a line written just before exit (a start-up failure) must not be lost.
  return pino({ level, mixin: traceLogMixin }, pretty({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
}
