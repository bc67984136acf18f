// test/ingest/principal-scope.test.ts against a 3-primary Redis Cluster of real redis-servers (test/helpers/redis.ts).
process.env.SG_TEST_REDIS = 'cluster';
await import('../ingest/principal-scope.test.js');
