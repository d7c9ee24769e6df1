"""The Lua scripts behind the knowledge base's working-copy writes, each atomic across processes.

A save and a publish read entries, then write: without a check in the same step, a save based on a stale
read overwrote a newer one and two saves took the same revision number. Each script checks that every
entry is still at the revision the writer read (check-and-set) and writes only then; ``KbStore`` reads
again and retries when it is not. Each script is a constant with a header listing its KEYS and ARGV, and
names its arguments as locals; ``KbStore.__init__`` registers them once.

An entry's JSON is written by pydantic and its ``revision`` is read with a pattern, not a JSON parser:
inside a JSON string every quote is escaped, so ``"revision":`` only ever matches the field itself.
"""

# Save entries to the working copy, each as a new draft revision; all of them or none.
#
# KEYS[1] working entries hash   KEYS[2] deleted-ids set   KEYS[3] draft sequence
# KEYS[3 + i] history list of the i-th entry
# ARGV[1] number of entries n; then 5 values per entry, the i-th from ARGV[2 + 5 * (i - 1)]:
#   op ('put' or 'del'), id, the revision the writer read (0: no such entry),
#   put: the entry's JSON before and after its revision number; del: the tombstone's JSON and ''.
# A put's revision is one more than both the working copy's and the newest in its history: a
# rollback or a deletion never makes a number come round again.
# Returns {1, revision of each entry (a del: the deleted one)} or {0, ids no longer at the read revision}.
SAVE = """
local entries, deleted, draft_seq = KEYS[1], KEYS[2], KEYS[3]
local n = tonumber(ARGV[1])

local function revision_of(json)
  if not json then return 0 end
  return tonumber(string.match(json, '"revision":(%d+)')) or 0
end

local current, stale = {}, {0}
for i = 1, n do
  local at = 2 + 5 * (i - 1)
  local id, read = ARGV[at + 1], tonumber(ARGV[at + 2])
  current[i] = revision_of(redis.call('HGET', entries, id))
  if current[i] ~= read then stale[#stale + 1] = id end
end
if #stale > 1 then return stale end

local result = {1}
for i = 1, n do
  local at = 2 + 5 * (i - 1)
  local op, id, body, tail = ARGV[at], ARGV[at + 1], ARGV[at + 3], ARGV[at + 4]
  local history = KEYS[3 + i]
  if op == 'put' then
    local revision = math.max(current[i], revision_of(redis.call('LINDEX', history, -1))) + 1
    local json = body .. revision .. tail
    redis.call('HSET', entries, id, json)
    redis.call('RPUSH', history, json)
    redis.call('SREM', deleted, id)
    result[#result + 1] = revision
  else
    redis.call('HDEL', entries, id)
    redis.call('SADD', deleted, id)
    redis.call('RPUSH', history, body)
    result[#result + 1] = current[i]
  end
end
if n > 0 then redis.call('INCR', draft_seq) end
return result
"""

# Publish: the promoted entries become the published copy, and the deletions read are applied.
#
# KEYS[1] working entries hash   KEYS[2] published entries hash   KEYS[3] deleted-ids set
# ARGV[1] number of promoted entries n; then 3 values per entry, the i-th from ARGV[2 + 3 * (i - 1)]:
#   id, the revision read, its JSON as published; then the ids of the deletions read.
# The published copy is what was read (the index is built from it). The working copy is marked published
# only if it is still at the revision read: a save that came in meanwhile stays a draft for the next publish.
# Only the deletions read leave the deleted set: one made meanwhile waits for the next publish.
# Returns the number of working-copy entries marked published.
PROMOTE = """
local entries, published, deleted = KEYS[1], KEYS[2], KEYS[3]
local n = tonumber(ARGV[1])

local marked = 0
for i = 1, n do
  local at = 2 + 3 * (i - 1)
  local id, read, json = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  redis.call('HSET', published, id, json)
  local now = redis.call('HGET', entries, id)
  if now and string.match(now, '"revision":(%d+)') == read then
    redis.call('HSET', entries, id, json)
    marked = marked + 1
  end
end
for i = 2 + 3 * n, #ARGV do
  redis.call('HDEL', published, ARGV[i])
  redis.call('SREM', deleted, ARGV[i])
end
return marked
"""
