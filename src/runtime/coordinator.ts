// Shares the query tasks between the live gateway processes: heartbeats, fair-share lease
// acquisition and release, renewal, and starting/stopping a TaskRunner per owned task.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { StreamWatcher } from '../redis/stream-watcher.js';
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { Log } from '../util/logger.js';
import { fnv1a } from '../ingest/partitioner.js';
import type { FunctionRegistry } from '../functions/index.js';
import { type QueryDefinition, queryGroup, queryPartition } from './query-definition.js';
import { compiledQuery } from './compiled-queries.js';
import type { CompiledQuery } from '../sql/compile.js';
import type { QueryRegistry } from './query-registry.js';
import { TaskRunner, type RunnerSettings } from './task-runner.js';
import { acquireLease, releaseLease, renewLease } from './leases.js';
import { reclaimDeletedQuery } from './query-reclaim.js';
import type { TaskKeys } from '../redis/keys.js';
import { telemetry } from '../telemetry/metrics.js';

export interface CoordinatorSettings extends Omit<RunnerSettings, 'owner'> {
  leaseTtlMs: number;
  /** Takeovers in a row without a commit before the query is failed (see lease-acquire.lua). */
  quarantineAfter: number;
  pollMs: number;
  functions: FunctionRegistry;
}

interface Owned {
  runner: TaskRunner;
}

const taskId = (queryId: string, partition: number) => `${queryId}/${partition}`;

export class Coordinator {
  readonly owner = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly owned = new Map<string, Owned>();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;
  private queries: QueryDefinition[] = [];
  private version = '';

  constructor(
    private readonly redis: Redis,
    private readonly registry: QueryRegistry,
    private readonly s: CoordinatorSettings,
    private readonly log: Log,
    /** The process's stream watcher: tasks read without blocking and wait on it when idle. */
    private readonly watcher: StreamWatcher,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.s.pollMs);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.s.leaseTtlMs / 3)));
    void this.tick();
  }

  /** The query definitions as of the last tick (read again only when the registry version moved). */
  definitions(): readonly QueryDefinition[] {
    return this.queries;
  }

  /** Tasks this process runs now, as "queryId/partition". */
  ownedTasks(): string[] {
    return [...this.owned.keys()];
  }

  /** Graceful stop: finish current batches and hand every lease over at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.renewTimer);
    while (this.ticking) await new Promise((ok) => setTimeout(ok, 10));
    await Promise.all([...this.owned.keys()].map((id) => this.drop(id, true)));
    await this.redis.zRem(keys.members(), this.owner).catch(() => 0);
  }

  private async renew(): Promise<void> {
    for (const [id, o] of this.owned) {
      const { def, partition, epoch } = o.runner;
      try {
        const ok = await renewLease(this.redis, keys.task(queryPartition(def, partition), def.id), this.owner, epoch, this.s.leaseTtlMs);
        if (!ok) {
          this.log.warn({ task: id, epoch }, 'lease lost; stopping the task');
          await this.drop(id, false);
        }
      } catch (err) {
        // Redis unreachable: the runner's commits fail too; the lease expires if this lasts.
        this.log.debug({ task: id, err: (err as Error).message }, 'lease renewal failed');
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      const now = Date.now();
      await this.redis.zAdd(keys.members(), { score: now + this.s.leaseTtlMs, value: this.owner });
      await this.redis.zRemRangeByScore(keys.members(), '-inf', now);
      const members = Math.max(1, await this.redis.zCard(keys.members()));
      const version = await this.registry.version();
      if (version !== this.version) {
        this.queries = await this.registry.list();
        this.version = version;
      }
      const running = this.queries.filter((q) => q.status === 'running');
      const wanted = new Map<string, { def: QueryDefinition; partition: number }>();
      for (const def of running) for (let p = 0; p < def.partitions; p++) wanted.set(taskId(def.id, p), { def, partition: p });

      // Tasks whose query stopped running, and runners that ended on their own.
      for (const [id, o] of this.owned) {
        if (!wanted.has(id) || o.runner.isStopped) await this.drop(id, true);
      }
      for (const def of this.queries) if (def.status === 'deleting') await this.reclaim(def);
      const target = Math.ceil(wanted.size / members);
      // Over the fair share: hand one task over per tick, so the others can pick it up.
      if (this.owned.size > target) {
        const id = [...this.owned.keys()].sort()[0]!;
        this.log.info({ task: id, owned: this.owned.size, target }, 'rebalancing: releasing a task');
        await this.drop(id, true);
      }
      if (this.owned.size < target) {
        // A per-owner order, so processes starting together do not all race for the same task.
        const free = [...wanted].filter(([id]) => !this.owned.has(id)).sort(([a], [b]) => fnv1a(this.owner + a) - fnv1a(this.owner + b));
        for (const [id, { def, partition }] of free) {
          if (this.owned.size >= target || this.closed) break;
          const k = keys.task(queryPartition(def, partition), def.id);
          const { epoch, takeovers } = await acquireLease(this.redis, k, keys.events(queryPartition(def, partition)), queryGroup(def), this.owner, this.s.leaseTtlMs);
          if (epoch <= 0) continue;
          // The list may predate a pause or a DELETE: holding the lease now, check the registry
          // itself, so a query being deleted is never run again after its reclaim could start.
          if ((await this.registry.get(def.id))?.status !== 'running') {
            await releaseLease(this.redis, k, this.owner, epoch).catch(() => false);
            continue;
          }
          if (takeovers >= this.s.quarantineAfter) await this.quarantine(id, def, k, epoch, takeovers);
          else await this.startTask(id, def, partition, epoch, takeovers);
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'coordinator tick failed; retrying');
    } finally {
      this.ticking = false;
    }
  }

  private async reclaim(def: QueryDefinition): Promise<void> {
    try {
      if (await reclaimDeletedQuery(this.redis, this.registry, def, 2 * this.s.pollMs)) this.log.info({ query: def.id }, 'deleted query reclaimed');
    } catch (err) {
      this.log.warn({ query: def.id, err: (err as Error).message }, 'reclaiming a deleted query failed; retrying');
    }
  }

  /**
   * Each previous owner of this task died before committing what it had read: running it again
   * would most likely kill this process too (an uncatchable out-of-memory, a native crash). Fail
   * the query instead, so the other queries keep their processes.
   */
  private async quarantine(id: string, def: QueryDefinition, k: TaskKeys, epoch: number, takeovers: number): Promise<void> {
    const reason = `quarantined: task ${id} was taken over ${takeovers} times in a row from a process that died before committing its batch (QUARANTINE_AFTER=${this.s.quarantineAfter}); the query most likely crashes the process running it`;
    telemetry().queriesQuarantined.add(1, { query: def.id });
    await this.failQuery(def.id, new Error(reason));
    await releaseLease(this.redis, k, this.owner, epoch).catch(() => false);
  }

  private async startTask(id: string, def: QueryDefinition, partition: number, epoch: number, takeovers: number): Promise<void> {
    let compiled: CompiledQuery;
    try {
      compiled = compiledQuery(def, this.s.functions);
    } catch (err) {
      // Registered under older rules (e.g. before the windows-per-event limit): it cannot run now.
      await this.failQuery(def.id, new Error(`no longer compiles: ${(err as Error).message}`));
      await releaseLease(this.redis, keys.task(queryPartition(def, partition), def.id), this.owner, epoch).catch(() => false);
      return;
    }
    const runner = new TaskRunner(this.redis, this.watcher, def, partition, epoch, takeovers, compiled, { ...this.s, owner: this.owner }, {
      onQueryFailed: (queryId, error) => void this.failQuery(queryId, error),
    }, this.log);
    this.owned.set(id, { runner });
    this.log.info({ task: id, epoch }, 'task acquired');
    telemetry().leaseMoves.add(1, { direction: 'acquired' });
    runner.start();
  }

  private async drop(id: string, release: boolean): Promise<void> {
    const o = this.owned.get(id);
    if (!o) return;
    this.owned.delete(id);
    // A blocked XREADGROUP ends within blockMs; then the runner sees it was stopped.
    await o.runner.stop();
    if (release) {
      const { def, partition, epoch } = o.runner;
      await releaseLease(this.redis, keys.task(queryPartition(def, partition), def.id), this.owner, epoch).catch(() => false);
      telemetry().leaseMoves.add(1, { direction: 'released' });
    }
  }

  private async failQuery(queryId: string, error: Error): Promise<void> {
    this.log.error({ query: queryId, err: error.message }, 'query failed');
    await this.registry
      .update(queryId, (def) => (def.status === 'deleting' ? def : { ...def, status: 'failed', error: error.message }))
      .catch((err: unknown) => this.log.error({ err }, 'could not record the query failure'));
  }
}
