// Process entry: config, Redis (REDIS_URL or a local redis-server child), listen, graceful shutdown.
import closeWithGrace from 'close-with-grace';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.js';
import { connectWithRetry, RedisUnreachableError } from './redis/connect-with-retry.js';
import { LocalRedis, RedisNotInstalledError } from './redis/local-server.js';
import { buildApp } from './app.js';
import { FunctionError } from './sql/compile.js';
import { processLogger } from './util/process-logger.js';

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
  const log = processLogger(config.logLevel, config.logFormat);

  let localRedis: LocalRedis | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    localRedis = new LocalRedis({ dir: resolve(config.dataDir, 'redis'), ownProcessGroup: true });
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

  let redis: Awaited<ReturnType<typeof connectWithRetry>>;
  try {
    redis = await connectWithRetry({ url: redisUrl, log, nodeAddressMap: config.redisNodeAddressMap, waitReplicas: config.redisWaitReplicas }, config.redisConnectTimeoutMs, log);
  } catch (err) {
    if (localRedis) await localRedis.stop();
    if (err instanceof RedisUnreachableError) fail(err.message);
    throw err;
  }
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

  // Ctrl-C drains the gateway first, then stops its own Redis (which the terminal's signal does
  // not reach: it runs in a process group of its own).
  closeWithGrace({ delay: 10_000, logger: false }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down: draining');
    await app.close();
    if (localRedis) await localRedis.stop();
    app.log.info('stopped');
  });

  // The first thing a person wants from the log: where to go.
  await app.listen({ port: config.port, host: config.host, listenTextResolver: (at) => `streamgate is serving at ${at}: console ${at}/ · API docs ${at}/docs · metrics ${at}/metrics` });
}

main().catch((err: unknown) => fail(`start-up failed: ${(err as Error).stack ?? String(err)}`));
