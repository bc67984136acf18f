// Process entry: config, Redis (REDIS_URL or a local redis-server child), listen, graceful shutdown.
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connectRedis } from './redis/client.js';
import { LocalRedis, RedisNotInstalledError } from './redis/local-server.js';
import { buildApp } from './app.js';
import { FunctionError } from './sql/compile.js';
import { traceLogMixin } from './telemetry/log-context.js';

function fail(message: string): never {
  process.stderr.write(`streamgate: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const log = pino({ level: config.logLevel, mixin: traceLogMixin });

  let localRedis: LocalRedis | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    localRedis = new LocalRedis({ dir: resolve(config.dataDir, 'redis') });
    try {
      await localRedis.start();
    } catch (err) {
      if (err instanceof RedisNotInstalledError) {
        fail('REDIS_URL is not set and redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379');
      }
      fail(`could not start a local redis-server: ${(err as Error).message}`);
    }
    redisUrl = localRedis.url;
    log.info({ redis: redisUrl, dataDir: resolve(config.dataDir, 'redis'), redisPid: localRedis.pid }, 'REDIS_URL not set: started a local redis-server with AOF persistence');
  } else {
    log.info({ redis: redisUrl.replace(/\/\/[^@]*@/, '//***@') }, 'using Redis at REDIS_URL');
  }

  const redis = await connectRedis({ url: redisUrl, log, nodeAddressMap: config.redisNodeAddressMap, waitReplicas: config.redisWaitReplicas });
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp({ config, redis, ownsRedis: true, logger: log });
  } catch (err) {
    await redis.close().catch(() => {});
    if (localRedis) await localRedis.stop();
    if (err instanceof FunctionError) fail(`FUNCTIONS_DIR: ${err.message}`);
    throw err;
  }
  if (config.apiKeys.length === 0) {
    app.log.warn('auth is OFF: no API_KEYS configured, every request is allowed');
  } else {
    app.log.info({ keys: config.apiKeys.map((k) => ({ label: k.label, scopes: [...k.scopes] })) }, 'auth is ON');
  }

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    if (localRedis) await localRedis.stop();
  });

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => fail(`start-up failed: ${(err as Error).stack ?? String(err)}`));
