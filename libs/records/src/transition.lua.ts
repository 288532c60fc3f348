import { OUTBOX_APPEND_LUA } from './outbox.lua.js';

/**
 * Atomic status change of one generation, of its batch's counters, and the outbox entries for
 * the webhooks it causes: the status, the generation's event and (for the item that completes
 * its batch) `batch.completed` are written together or not at all, so no crash can separate a
 * transition from its notification. A transition only happens from an allowed status, so a
 * terminal state is written once, whoever races for it (worker finishing vs. API canceling).
 * Returns {applied, previousStatus, batchJustCompleted, eventAppended}.
 *
 * KEYS[1] generation hash, KEYS[2] batch hash or RedisKeys.absent(), KEYS[3] the tenant's
 * outstanding-jobs counter or RedisKeys.absent() (decremented when the generation finishes),
 * KEYS[4] the outbox stream. "No key" is a never-written key under the same prefix, not "": on a
 * Cluster "" hashes to slot 0 and the whole script is refused (CROSSSLOT);
 * ARGV[1] new status, ARGV[2] allowed previous statuses (comma separated), ARGV[3] now (ISO),
 * ARGV[4] event to append ("" for none), ARGV[5] its event id, ARGV[6] the batch.completed event
 * id, ARGV[7] "first-start" to append the event only when a queued job starts its first attempt
 * (attempts still 0), ARGV[8..] field/value pairs.
 */
export const TRANSITION_SCRIPT = `${OUTBOX_APPEND_LUA}
local function given(key) return key ~= '' and string.sub(key, -7) ~= ':absent' end
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {0, '', 0, 0} end
local allowed = false
for status in string.gmatch(ARGV[2], '[^,]+') do
  if status == current then allowed = true end
end
if not allowed then return {0, current, 0, 0} end
local first_start = current == 'queued' and (redis.call('HGET', KEYS[1], 'attempts') or '0') == '0'
local args = {}
for i = 8, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(args))
local terminal = { succeeded = true, failed = true, canceled = true }
if given(KEYS[3]) and terminal[ARGV[1]] and not terminal[current] then
  if tonumber(redis.call('DECR', KEYS[3])) < 0 then redis.call('SET', KEYS[3], 0) end
end
local completed = 0
if given(KEYS[2]) and current ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[2], current, -1)
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
  local done = tonumber(redis.call('HGET', KEYS[2], 'succeeded') or '0')
    + tonumber(redis.call('HGET', KEYS[2], 'failed') or '0')
    + tonumber(redis.call('HGET', KEYS[2], 'canceled') or '0')
  if done >= total and redis.call('HSETNX', KEYS[2], 'completed_at', ARGV[3]) == 1 then completed = 1 end
end
local appended = 0
if ARGV[4] ~= '' and (ARGV[7] ~= 'first-start' or first_start) then
  outbox_append(KEYS[4], ARGV[5], ARGV[4], 'generation', KEYS[1], ARGV[3])
  appended = 1
end
if completed == 1 then outbox_append(KEYS[4], ARGV[6], 'batch.completed', 'batch', KEYS[2], ARGV[3]) end
return {1, current, completed, appended}
`;
