/**
 * Lua shared by the transition scripts: appends one lifecycle event to the outbox stream in the
 * same script (so in the same atomic step) as the status change it reports. The entry carries a
 * snapshot of the subject's hash as it is right after the change, so the webhook body describes
 * that moment even when it is built later; the `request` field is left out (large, immutable:
 * the drainer reads it from the record).
 *
 * Entry fields: id (event id), event, kind (generation | batch | training), subject (its id),
 * at (ISO time of the transition), snapshot (JSON object of the hash's fields).
 */
export const OUTBOX_APPEND_LUA = `
local function outbox_append(stream, event_id, event, kind, subject_key, at)
  local flat = redis.call('HGETALL', subject_key)
  local snapshot = {}
  local subject = ''
  for i = 1, #flat, 2 do
    if flat[i] ~= 'request' then snapshot[flat[i]] = flat[i + 1] end
    if flat[i] == 'id' then subject = flat[i + 1] end
  end
  redis.call('XADD', stream, '*', 'id', event_id, 'event', event, 'kind', kind, 'subject', subject, 'at', at, 'snapshot', cjson.encode(snapshot))
end
`;
