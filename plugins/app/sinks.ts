// Runs the sinks of the queries whose first task this process owns (src/sinks).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { SinkManager } from '../../src/sinks/sink-manager.js';
import type { FunctionRegistry } from '../../src/functions/index.js';

async function sinks(app: FastifyInstance, opts: { functions: FunctionRegistry }): Promise<void> {
  const { redis, coordinator, config } = app.sg;
  // A process without tasks (ROLE=api) runs no sinks.
  if (!coordinator) return;
  const manager = new SinkManager(redis, app.push.hub, coordinator, opts.functions, app.log, config.registryPollMs, config.testSinkDelayMs);
  app.addHook('onReady', async () => manager.start());
  app.addHook('preClose', async () => manager.close());
}

export default fp(sinks, { name: 'sinks', fastify: '5.x', dependencies: ['services', 'push'] });
