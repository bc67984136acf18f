// test/runtime/partitioned-differential.test.ts against a 3-primary Redis Cluster of real redis-servers (test/helpers/redis.ts).
process.env.SG_TEST_REDIS = 'cluster';
await import('../runtime/partitioned-differential.test.js');
