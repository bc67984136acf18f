// test/chaos/chaos.test.ts against a 3-primary Redis Cluster of real redis-servers (test/helpers/redis.ts).
// Kept beside the other fault tests, not in test/cluster/: test files run in name order, and the
// longest files starting first keep the two test lanes of `npm test` evenly busy.
process.env.SG_TEST_REDIS = 'cluster';
await import('./chaos.test.js');
