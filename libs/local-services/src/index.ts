export { findFreePort } from './free-port.js';
export { startPrivateRedis, RedisServerMissingError, stopChild, type PrivateRedis, type PrivateRedisOptions } from './redis-server.js';
export { spawnRole, waitForHttp, type FarmRole, type RoleProcess, type SpawnRoleOptions } from './farm-processes.js';
export { REDIS_CONNECTION_VARIABLES, startLocalFarm, type LocalFarm, type LocalFarmOptions, type WorkerProcess } from './local-farm.js';
export { which } from './which.js';
export { superviseWorkers, type WorkerSupervisor, type WorkerSupervisorOptions } from './worker-supervisor.js';
