// A Redis Cluster of real redis-server children (primaries, optional replicas), for tests and
// benchmarks: slots assigned explicitly (CLUSTER ADDSLOTSRANGE + MEET), no redis-cli needed.
import { join } from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import { LocalRedis } from './local-server.js';

const SLOTS = 16384;

export interface LocalClusterOptions {
  dir: string;
  primaries?: number;
  /** Replicas per primary. */
  replicas?: number;
  persistence?: boolean;
  /** How long a primary may be unreachable before its replica takes over. */
  nodeTimeoutMs?: number;
}

export interface ClusterNodeInfo {
  index: number;
  id: string;
  port: number;
  primary: boolean;
  /** Slot ranges served, for a primary. */
  slots: [number, number][];
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export class LocalCluster {
  readonly nodes: LocalRedis[] = [];
  private admins: RedisClientType[] = [];
  private readonly primaries: number;
  private readonly replicas: number;

  constructor(private readonly opts: LocalClusterOptions) {
    this.primaries = opts.primaries ?? 3;
    this.replicas = opts.replicas ?? 0;
  }

  /** Every node's URL, comma-separated: what REDIS_URL takes for a cluster. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  async start(): Promise<void> {
    const total = this.primaries * (1 + this.replicas);
    for (let i = 0; i < total; i++) {
      const node = new LocalRedis({
        dir: join(this.opts.dir, `node-${i}`),
        persistence: this.opts.persistence ?? false,
        // A lost primary must not stop the slots the others serve (the {meta} outage keeps ingest going).
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(this.opts.nodeTimeoutMs ?? 2_000), '--cluster-require-full-coverage', 'no', '--repl-diskless-sync-delay', '0'],
      });
      this.nodes.push(node);
    }
    await Promise.all(this.nodes.map((n) => n.start()));
    for (const node of this.nodes) this.admins.push(await this.connectAdmin(node.port));
    for (let i = 0; i < total; i++) await this.admin(i).sendCommand(['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)]);
    for (let i = 0; i < this.primaries; i++) {
      const from = Math.floor((i * SLOTS) / this.primaries);
      const to = Math.floor(((i + 1) * SLOTS) / this.primaries) - 1;
      await this.admin(i).sendCommand(['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)]);
    }
    for (let i = 1; i < total; i++) await this.admin(0).sendCommand(['CLUSTER', 'MEET', '127.0.0.1', String(this.nodes[i]!.port)]);
    await this.until(async () => (await Promise.all(this.admins.map((a) => this.knownNodes(a)))).every((n) => n === total), 'every node knows every other');
    for (let r = 0; r < this.replicas; r++) {
      for (let p = 0; p < this.primaries; p++) {
        const replica = this.primaries * (1 + r) + p;
        await this.admin(replica).sendCommand(['CLUSTER', 'REPLICATE', await this.nodeId(p)]);
      }
    }
    await this.waitHealthy();
  }

  /** Until every live node answers cluster_state:ok and every replica is in sync. */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await this.until(async () => {
      for (let i = 0; i < this.nodes.length; i++) {
        if (!this.isUp(i)) continue;
        const info = await this.text(i, ['CLUSTER', 'INFO']);
        if (!/cluster_state:ok/.test(info)) return false;
        const repl = await this.text(i, ['INFO', 'replication']);
        if (/role:slave/.test(repl) && !/master_link_status:up/.test(repl)) return false;
      }
      return true;
    }, 'cluster_state:ok on every node', timeoutMs);
  }

  private text(i: number, args: string[]): Promise<string> {
    return this.admin(i).sendCommand<string>(args);
  }

  admin(i: number): RedisClientType {
    return this.admins[i]!;
  }

  isUp(i: number): boolean {
    return this.nodes[i]!.running;
  }

  async nodeId(i: number): Promise<string> {
    return await this.text(i, ['CLUSTER', 'MYID']);
  }

  async slotOf(key: string): Promise<number> {
    const live = this.nodes.findIndex((_, i) => this.isUp(i));
    return Number(await this.admin(live).sendCommand(['CLUSTER', 'KEYSLOT', key]));
  }

  /** The topology as one live node sees it. */
  async topology(): Promise<ClusterNodeInfo[]> {
    const live = this.nodes.findIndex((_, i) => this.isUp(i));
    const text = await this.text(live, ['CLUSTER', 'NODES']);
    const out: ClusterNodeInfo[] = [];
    for (const line of text.trim().split('\n')) {
      const [id, addr, flags, , , , , , ...slots] = line.split(' ');
      const port = Number(/:(\d+)@/.exec(addr ?? '')?.[1]);
      const index = this.nodes.findIndex((n) => n.port === port);
      out.push({
        index,
        id: id!,
        port,
        primary: (flags ?? '').includes('master') && !(flags ?? '').includes('fail'),
        slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
          const [a, b] = s.split('-');
          return [Number(a), Number(b ?? a)] as [number, number];
        }),
      });
    }
    return out;
  }

  /** The node index of the primary serving `slot`. */
  async primaryOf(slot: number): Promise<number> {
    const owner = (await this.topology()).find((n) => n.primary && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner.index;
  }

  /**
   * Moves one slot to another primary the way redis-cli --cluster reshard does: IMPORTING/MIGRATING,
   * MIGRATE keys in batches (calling `between` after each, so a test can write during the move),
   * then SETSLOT NODE everywhere.
   */
  async migrateSlot(slot: number, to: number, opts: { batch?: number; between?: () => Promise<void> } = {}): Promise<void> {
    const from = await this.primaryOf(slot);
    if (from === to) return;
    const [fromId, toId] = [await this.nodeId(from), await this.nodeId(to)];
    await this.admin(to).sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId]);
    await this.admin(from).sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId]);
    for (;;) {
      const keys = await this.admin(from).sendCommand<string[]>(['CLUSTER', 'GETKEYSINSLOT', String(slot), String(opts.batch ?? 10)]);
      if (keys.length === 0) break;
      await this.admin(from).sendCommand(['MIGRATE', '127.0.0.1', String(this.nodes[to]!.port), '', '0', '5000', 'REPLACE', 'KEYS', ...keys]);
      if (opts.between) await opts.between();
    }
    // The target first, so that the source never redirects to a node that does not know it owns the slot yet.
    await this.admin(to).sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
    await this.admin(from).sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
    for (let i = 0; i < this.nodes.length; i++) {
      if (i !== from && i !== to && this.isUp(i)) await this.admin(i).sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]).catch(() => {});
    }
  }

  /** SIGKILL one node. */
  async kill(i: number): Promise<void> {
    await this.nodes[i]!.kill();
  }

  /** Restarts a killed node on its port and folder (its nodes.conf keeps its identity). */
  async restart(i: number): Promise<void> {
    await this.nodes[i]!.start();
    await this.admins[i]!.close().catch(() => {});
    this.admins[i] = await this.connectAdmin(this.nodes[i]!.port);
  }

  async stop(): Promise<void> {
    await Promise.all(this.admins.map((a) => a.close().catch(() => {})));
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private async connectAdmin(port: number): Promise<RedisClientType> {
    const client: RedisClientType = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 500) } });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  private async knownNodes(admin: RedisClientType): Promise<number> {
    const text = await admin.sendCommand<string>(['CLUSTER', 'NODES']);
    return text.trim().split('\n').filter((l) => !/handshake|noaddr/.test(l)).length;
  }

  private async until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await check()) return;
      } catch {
        // a node still starting or failing over: ask again
      }
      if (Date.now() > end) throw new Error(`local cluster: no ${what} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}
