export { redisCli, spawnRedisProcess, waitFor, type RedisProcess } from './redis-process.js';
export { parseClusterNodes, startRedisCluster, type ClusterNode, type LocalRedisCluster, type LocalRedisClusterOptions } from './redis-cluster.js';
export { startRedisSentinel, type LocalRedisSentinel } from './redis-sentinel.js';
export { OpensslMissingError, generateTestCertificates, startTlsRedis, tlsServerArguments, type LocalTlsRedis, type TestCertificates } from './redis-tls.js';
export { SERVICE_BACKEND_VARIABLE, ServiceBackendError, chooseServiceBackend, dockerEndpoints, dockerEngineAnswers, testServiceBackend, type ServiceBackend } from './service-backend.js';
export { startMinioTestcontainer, startRedisTestcontainer, type RunningS3 } from './containers.js';
