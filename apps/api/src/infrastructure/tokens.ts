export const REDIS = Symbol('REDIS');
/**
 * The connection BullMQ queues use. Kept apart from REDIS because BullMQ defines dozens of scripts
 * on its connection and ioredis copies every defined script onto each MULTI/pipeline it builds:
 * on REDIS that cost would be paid by every request's record writes and auto-pipelined reads.
 */
export const QUEUE_REDIS = Symbol('QUEUE_REDIS');
export const WEBHOOK_QUEUE = Symbol('WEBHOOK_QUEUE');
export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');
/**
 * The state of every Redis connection a request may use (REDIS and QUEUE_REDIS): `ready` only when
 * all are. Error filters read it to tell a Redis outage (503, retry) from a bug (500): after a
 * failover one connection can still be reconnecting while the other already is ready.
 */
export const REDIS_STATE = Symbol('REDIS_STATE');
