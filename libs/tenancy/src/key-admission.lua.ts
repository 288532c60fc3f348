/**
 * One round trip per request for what used to take three (key record, tenant limits, rate
 * counter), with the same decisions in the same order: an unknown, revoked or wrong key is
 * refused without touching any counter; a key without the scope is refused without counting;
 * only then is the key's request counted in its fixed one-minute window. Nothing is cached, so a
 * revocation or rotation applies to the very next request.
 *
 * KEYS[1] the key's record, KEYS[2] its rate counter for this window; ARGV[1] SHA-256 (hex) of the
 * presented key, ARGV[2] the scope the route needs, ARGV[3] the scope that implies every scope,
 * ARGV[4] the tenant key prefix ("<prefix>:tenant:"; the limits key is derived from the record's
 * tenant, so it cannot be declared up front: a single Redis, as BullMQ itself requires).
 * Returns {0} (refused), {1, record} (scope missing), or {2, record, limits JSON or "", used}.
 */
export const KEY_ADMISSION_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {0} end
local record = cjson.decode(raw)
if type(record.revoked_at) == 'string' or record.hash ~= ARGV[1] then return {0} end
local allowed = false
for _, scope in ipairs(record.scopes) do
  if scope == ARGV[2] or scope == ARGV[3] then allowed = true end
end
if not allowed then return {1, raw} end
local limits = redis.call('GET', ARGV[4] .. record.tenant .. ':limits') or ''
local used = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 120)
return {2, raw, limits, used}
`;

/**
 * Reserves queued-job slots against the tenant's limit in one round trip (limit read, counter
 * raised, and lowered again when over): KEYS[1] the tenant's outstanding-jobs counter, KEYS[2] its
 * limits overrides; ARGV[1] how many, ARGV[2] the farm default. Returns {after, max}.
 */
export const RESERVE_QUEUED_SCRIPT = `
local max = tonumber(ARGV[2])
local raw = redis.call('GET', KEYS[2])
if raw then
  local overrides = cjson.decode(raw)
  if type(overrides.max_queued_jobs) == 'number' then max = overrides.max_queued_jobs end
end
local after = redis.call('INCRBY', KEYS[1], ARGV[1])
if after > max then redis.call('DECRBY', KEYS[1], ARGV[1]) end
return {after, max}
`;
