// test/runtime/queries-api.test.ts against a 3-primary Redis Cluster of real redis-servers (test/helpers/redis.ts).
process.env.SG_TEST_REDIS = 'cluster';
await import('../runtime/queries-api.test.js');
