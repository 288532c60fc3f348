export { findFreePort } from './free-port.js';
export { startPrivateRedis, RedisServerMissingError, stopChild, type PrivateRedis } from './redis-server.js';
export { which } from './which.js';
