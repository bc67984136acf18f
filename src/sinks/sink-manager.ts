// Which sinks run in this process: those of the running queries whose first task (partition 0)
// this process owns. Task ownership already moves with failures and handovers, so sinks follow it.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { PushHub } from '../push/hub.js';
import type { Coordinator } from '../runtime/coordinator.js';
import { compiledQuery } from '../runtime/compiled-queries.js';
import { queryPartition, type QueryDefinition } from '../runtime/query-definition.js';
import type { FunctionRegistry } from '../functions/index.js';
import type { Log } from '../util/logger.js';
import type { SinkConfig } from './sink-config.js';
import { SinkRunner } from './sink-runner.js';
import { SinkState } from './sink-state.js';
import { PostgresTarget } from './postgres-target.js';
import { WebhookTarget } from './webhook-target.js';
import type { SinkTarget } from './sink-target.js';

export class SinkManager {
  private readonly runners = new Map<string, SinkRunner>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly hub: PushHub,
    private readonly coordinator: Coordinator,
    private readonly functions: FunctionRegistry,
    private readonly log: Log,
    private readonly pollMs: number,
    private readonly testDelayMs = 0,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    void this.tick();
  }

  /** Sinks running here, as "queryId/sinkName". */
  running(): string[] {
    return [...this.runners.keys()];
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      const owned = new Set(this.coordinator.ownedTasks());
      const wanted = new Map<string, { def: QueryDefinition; sink: SinkConfig }>();
      // The coordinator's copy: it re-reads the registry only when its version moved.
      for (const def of this.coordinator.definitions()) {
        if (def.status !== 'running' || !owned.has(`${def.id}/0`)) continue;
        for (const sink of def.sinks ?? []) wanted.set(`${def.id}/${sink.name}`, { def, sink });
      }
      for (const [id, runner] of this.runners) {
        if (!wanted.has(id)) {
          this.runners.delete(id);
          // Not awaited: a target slow to close must not hold up the other sinks of this process.
          void runner.stop().catch((err: unknown) => this.log.warn({ sink: id, err: (err as Error).message }, 'sink stop failed'));
        }
      }
      for (const [id, { def, sink }] of wanted) {
        if (this.runners.has(id) || this.closed) continue;
        const runner = this.runner(def, sink);
        this.runners.set(id, runner);
        runner.start();
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'sink manager tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private runner(def: QueryDefinition, sink: SinkConfig): SinkRunner {
    const k = keys.sink(queryPartition(def, 0), def.id, sink.name);
    const state = new SinkState(this.redis, k.state, this.coordinator.owner);
    const target = (): SinkTarget =>
      sink.type === 'postgres'
        ? new PostgresTarget(sink, `${def.id}/${sink.name}`, compiledQuery(def, this.functions).columns, this.testDelayMs)
        : new WebhookTarget(sink, def.id, state, this.redis, k.dead);
    return new SinkRunner(def, sink.name, target, { hub: this.hub, log: this.log, state });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    while (this.ticking) await new Promise((ok) => setTimeout(ok, 10));
    // Bounded: a target that no longer answers (a PostgreSQL behind a black hole) must not hold
    // shutdown; what it had not committed is delivered again from its offset.
    await Promise.race([Promise.all([...this.runners.values()].map((r) => r.stop())), new Promise((ok) => setTimeout(ok, 5_000).unref())]);
    this.runners.clear();
  }
}
