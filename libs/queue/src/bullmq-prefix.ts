/**
 * The prefix of every BullMQ key (`<prefix>:<queue>:…`): the one place it is derived from the
 * configuration, so that laying BullMQ's keys out differently (e.g. a Redis Cluster hash tag)
 * changes one function.
 */
export function bullmqPrefix(env: { readonly QUEUE_PREFIX: string }): string {
  return env.QUEUE_PREFIX;
}
