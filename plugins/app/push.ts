// Decorates the app with the push hub (live results) and ends every push connection on shutdown.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { PushHub } from '../../src/push/hub.js';
import type { PushSession } from '../../src/push/session.js';
import { CLOSE } from '../../src/push/messages.js';
import type { FunctionRegistry } from '../../src/functions/index.js';
import { telemetry } from '../../src/telemetry/metrics.js';
import type { ObservableResult } from '@opentelemetry/api';
import { SharedSlots } from '../../src/access/shared-slots.js';

export interface Push {
  hub: PushHub;
  /** Open SSE sessions (WebSocket sessions are closed through the websocket server). */
  sse: Set<PushSession>;
  /** Per-key quotas counted across processes: live subscriptions and push connections. */
  subscriptionSlots: SharedSlots;
  connectionSlots: SharedSlots;
}

declare module 'fastify' {
  interface FastifyInstance {
    push: Push;
  }
}

async function push(app: FastifyInstance, opts: { functions: FunctionRegistry }): Promise<void> {
  const { config, redis, queryRegistry } = app.sg;
  const hub = new PushHub(redis, queryRegistry, { blockMs: config.push.blockMs, count: 1000, hardLimit: config.push.hardLimit, functions: opts.functions, snapshotPageRows: config.push.snapshotRows }, app.log, app.sg.watcher);
  const state: Push = { hub, sse: new Set(), subscriptionSlots: new SharedSlots(redis, 'subscriptions', app.log, config.leaseTtlMs), connectionSlots: new SharedSlots(redis, 'connections', app.log, config.leaseTtlMs) };
  app.decorate('push', state);
  const subscribers = (obs: ObservableResult) => obs.observe(hub.stats().subscribers);
  telemetry().subscribers.addCallback(subscribers);
  app.addHook('preClose', async () => {
    for (const s of state.sse) s.closeWith(CLOSE.GOING_AWAY, 'server shutting down');
  });
  app.addHook('onClose', async () => {
    telemetry().subscribers.removeCallback(subscribers);
    await hub.close();
    await Promise.all([state.subscriptionSlots.close(), state.connectionSlots.close()]);
  });
}

export default fp(push, { name: 'push', fastify: '5.x', dependencies: ['services'] });
