"""The Lua scripts behind every conversation write that must be atomic across hub workers.

Each script is a constant with a header listing its KEYS and ARGV, and names
its arguments as locals; ``ConversationStore.__init__`` registers them once.
"""

# Append a line to a transcript and publish it; a line for a customer on a messaging channel (the conversation's
# reply_channel, bot/channels/) is also queued in the outbox (bot/outbox.py): nothing appended is left unsent.
# Shared by APPEND and TRANSITION (a status change may carry the notice that announces it).
_APPEND_LINE = """
local function append_line(conv, transcript, outbox, deliveries, outbox_due, cid, channel, body, now, for_customer)
  local id = redis.call('XADD', transcript, '*', 'm', body)
  local route = redis.call('HGET', conv, 'reply_channel')
  if for_customer == '1' and route and route ~= '' then
    -- held (a passive reply may still carry it: WeChat) until hold_until; a waiting outbox keeps its turn (NX)
    local due = math.max(tonumber(now), tonumber(redis.call('HGET', conv, 'hold_until') or '0') or 0)
    redis.call('RPUSH', outbox, id)
    redis.call('HSET', deliveries, id, cjson.encode({state = 'pending', channel = route, to = redis.call('HGET', conv, 'reply_to') or '', attempts = 0, queued_at = tonumber(now)}))
    redis.call('ZADD', outbox_due, 'NX', due, cid)
  end
  redis.call('PUBLISH', channel, '{"type":"message","message":{"id":"' .. id .. '","conversation_id":"' .. cid .. '",' .. string.sub(body, 2) .. '}')
  return id
end
"""

# Change a conversation's status only if its current state allows it (check-and-set).
#
# A change that ends an agent's episode (resolve, hand back) asks that the customer be settled: no message of
# theirs still waiting for its turn (it was written to the agent and must not be handled as written after:
# reopening what was just solved, or answered by the bot), and, with ``seen``, nothing written after the last
# message the agent was shown. Its notice ("resolved, please rate") is appended in the same step, so the
# transcript shows every customer message on the side of the notice whose episode it belongs to.
#
# KEYS[1] conversation hash              KEYS[2] events stream
# KEYS[3] handoff queue (sorted set)     KEYS[4] chats of the agent giving it up
# KEYS[5] chats of the agent taking it   KEYS[6] pending customer turns (list)
# KEYS[7] transcript stream              KEYS[8] outbox list
# KEYS[9] deliveries hash                KEYS[10] outbox due sorted set
# ARGV[1] conversation id                ARGV[2] allowed current statuses, comma-separated
# ARGV[3] new status                     ARGV[4] only if this agent owns it ('' = anyone)
# ARGV[5] only in this ownership episode ('' = any)
# ARGV[6] queue: 'add', 'remove' or ''   ARGV[7] queue score
# ARGV[8] capacity of the agent taking it (0 = no limit)
# ARGV[9] '1': remove from KEYS[4]       ARGV[10] '1': add to KEYS[5]
# ARGV[11] event JSON
# ARGV[12] '1': only if no customer turn is pending
# ARGV[13] only if the customer wrote nothing after this message id ('' = no check)
# ARGV[14] notice: message JSON without its id ('' = none)   ARGV[15] pub/sub channel of the conversation
# ARGV[16] now (real time, for the outbox)
# ARGV[17...] field, value pairs to set
# Returns {1, previous status, new epoch, the notice's id or ''} or {0, why it was refused, current status}.
TRANSITION = _APPEND_LINE + """
local conv, events, queue, released_chats, assigned_chats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local pending, transcript, outbox, deliveries, outbox_due = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local cid, allowed, to, owner, epoch = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local queue_op, queue_score, capacity = ARGV[6], ARGV[7], tonumber(ARGV[8])
local release, assign, event = ARGV[9], ARGV[10], ARGV[11]
local settled, seen, notice, channel, now = ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16]

-- stream id a is later than b ("<ms>-<seq>")
local function later(a, b)
  local a1, a2 = string.match(a, '^(%d+)-(%d+)$')
  local b1, b2 = string.match(b, '^(%d+)-(%d+)$')
  if not a1 or not b1 then return a ~= b end
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  return a1 > b1 or (a1 == b1 and a2 > b2)
end

local status = redis.call('HGET', conv, 'status')
if not status then return {0, 'unknown', ''} end
if not string.find(',' .. allowed .. ',', ',' .. status .. ',', 1, true) then return {0, 'wrong_status', status} end
if owner ~= '' and redis.call('HGET', conv, 'agent') ~= owner then return {0, 'not_owner', status} end
if epoch ~= '' and (redis.call('HGET', conv, 'epoch') or '0') ~= epoch then return {0, 'stale', status} end
if capacity > 0 and redis.call('SCARD', assigned_chats) >= capacity then return {0, 'at_capacity', status} end
if settled == '1' and redis.call('LLEN', pending) > 0 then return {0, 'customer_writing', status} end
if seen ~= '' then
  local last = redis.call('HGET', conv, 'last_customer_message')
  if last and later(last, seen) then return {0, 'unseen', status} end
end

if queue_op == 'add' then redis.call('ZADD', queue, queue_score, cid) end
if queue_op == 'remove' then redis.call('ZREM', queue, cid) end
if release == '1' then redis.call('SREM', released_chats, cid) end
if assign == '1' then redis.call('SADD', assigned_chats, cid) end
redis.call('HSET', conv, 'status', to)
for i = 17, #ARGV, 2 do redis.call('HSET', conv, ARGV[i], ARGV[i + 1]) end
local new_epoch = redis.call('HINCRBY', conv, 'epoch', 1)
redis.call('XADD', events, '*', 'e', event)
local notice_id = ''
if notice ~= '' then notice_id = append_line(conv, transcript, outbox, deliveries, outbox_due, cid, channel, notice, now, '1') end
return {1, status, new_epoch, notice_id}
"""

# Record an event about a conversation, only while the conversation exists. A hub worker that finishes a turn
# after the conversation was erased (privacy/erase.py: the bot was still thinking) must not write it back into the
# stream: the analytics would fold it into a conversation that no longer exists (a "ghost" in the figures), and the
# stream would name the erased conversation again.
#
# KEYS[1] conversation hash   KEYS[2] events stream
# ARGV[1] event JSON
# Returns 1 when recorded, 0 when the conversation is gone.
RECORD_EVENT = """
local conv, events = KEYS[1], KEYS[2]
local event = ARGV[1]

if redis.call('EXISTS', conv) == 0 then return 0 end
redis.call('XADD', events, '*', 'e', event)
return 1
"""

# Save the hand-over packet the bot decided on, only while the conversation exists. A turn that ends after the
# conversation was erased (privacy/erase.py: Rasa answered after the erasure) must not leave its packet behind: the
# customer's words in its summary and last message would outlive the erasure, named after the conversation.
#
# KEYS[1] conversation hash   KEYS[2] handoff packet
# ARGV[1] packet JSON
# Returns 1 when saved, 0 when the conversation is gone.
SAVE_PACKET = """
local conv, packet = KEYS[1], KEYS[2]
local body = ARGV[1]

if redis.call('EXISTS', conv) == 0 then return 0 end
redis.call('SET', packet, body)
return 1
"""

# Set fields of a conversation, only while it exists: a lone field written after an erasure would make a hash
# without its status or token (a conversation that half exists again), with what the field says about the customer.
#
# KEYS[1] conversation hash
# ARGV[1...] field, value pairs
# Returns 1 when set, 0 when the conversation is gone.
SET_FIELDS = """
local conv = KEYS[1]

if redis.call('EXISTS', conv) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', conv, ARGV[i], ARGV[i + 1]) end
return 1
"""

# Keep a customer's vote on a bot answer, only while the conversation exists (a vote that passed its token check
# just before an erasure must not make the conversation's votes again).
#
# KEYS[1] conversation hash   KEYS[2] answer votes hash
# ARGV[1] bot message id      ARGV[2] vote JSON
# Returns 1 when kept, 0 when the conversation is gone.
RECORD_VOTE = """
local conv, votes = KEYS[1], KEYS[2]
local mid, vote = ARGV[1], ARGV[2]

if redis.call('EXISTS', conv) == 0 then return 0 end
redis.call('HSET', votes, mid, vote)
return 1
"""

# Delete what is left of a conversation that is gone. Rasa writes its tracker and lock itself, and nothing the hub
# does can stop it: a turn under way when the conversation was erased has Rasa write them again when it answers. So
# whoever ends a turn checks, in one step, whether the conversation still exists, and if not deletes every key named
# after it (``Keys.of_conversation``). Shared by COMPLETE_TURN and FORGET_IF_GONE.
_FORGET_IF_GONE = """
local function forget_if_gone(conv, first)
  if redis.call('EXISTS', conv) == 1 then return 0 end
  local gone = 0
  for i = first, #KEYS do gone = gone + redis.call('DEL', KEYS[i]) end
  return gone
end
"""

# What a turn that failed leaves of a conversation erased meanwhile (``_FORGET_IF_GONE``): the normal end of a turn
# does the same in COMPLETE_TURN.
#
# KEYS[1] conversation hash   KEYS[2...] every key named after the conversation
# Returns how many keys were deleted (0 while the conversation exists).
FORGET_IF_GONE = _FORGET_IF_GONE + """
return forget_if_gone(KEYS[1], 2)
"""

# Record the customer's rating of a resolved conversation. One rating per resolution: rating again
# replaces the score and comment (the customer changed their mind, or their client sent it twice),
# and the caller learns it was not the first, so the customer is thanked once. Atomic, so two
# ratings sent at the same instant cannot both be "the first".
#
# KEYS[1] conversation hash   KEYS[2] events stream
# ARGV[1] score               ARGV[2] comment (already masked)
# ARGV[3] event JSON
# Returns {1, the previous score ('' if this is the first rating)} or {0, why it was refused, current status}.
RATE = """
local conv, events = KEYS[1], KEYS[2]
local score, comment, event = ARGV[1], ARGV[2], ARGV[3]

local status = redis.call('HGET', conv, 'status')
if not status then return {0, 'unknown', ''} end
if status ~= 'resolved' then return {0, 'wrong_status', status} end
local previous = redis.call('HGET', conv, 'rating') or ''
redis.call('HSET', conv, 'rating', score, 'rating_comment', comment)
redis.call('XADD', events, '*', 'e', event)
return {1, previous}
"""

# The customer chose the language of their chat (the web page's 中文 / English switch): the
# conversation's notices follow it. Never writes a conversation that is gone (erased meanwhile):
# a lone field would make a hash without its status or token.
#
# KEYS[1] conversation hash
# ARGV[1] language
# Returns 1, or 0 when the conversation does not exist.
SET_LANGUAGE = """
local conv, language = KEYS[1], ARGV[1]

if redis.call('EXISTS', conv) == 0 then return 0 end
redis.call('HSET', conv, 'language', language)
return 1
"""

# Append a message to a transcript if the conversation is still as the writer saw
# it (a guarded append), and publish it in the same step, so that subscribers
# receive messages in transcript order and a refused reply is never shown.
#
# A customer on a messaging channel (the conversation's reply_channel, bot/channels/) also gets
# the message queued in the outbox (bot/outbox.py) in the same step: nothing appended is left unsent
# (``_APPEND_LINE``).
#
# A message sent again under the same client message id (an agent's reply whose answer never arrived, resent
# by the console) is stored once: the repeat writes nothing and gets the first one's id, whatever the guard says now.
#
# KEYS[1] conversation hash   KEYS[2] transcript stream   KEYS[3] events stream
# KEYS[4] outbox list         KEYS[5] deliveries hash     KEYS[6] outbox due sorted set
# KEYS[7] client ids hash
# ARGV[1] conversation id     ARGV[2] pub/sub channel of the conversation
# ARGV[3] message JSON without its id (an object with at least one field)
# ARGV[4] required statuses, comma-separated ('' = any)
# ARGV[5] required owner agent ('' = any)
# ARGV[6] required ownership episode ('' = any)
# ARGV[7] event JSON recorded when the guard refuses the message   ARGV[8] now
# ARGV[9] '1': for the customer (queue it for their messaging channel, if they have one)
# ARGV[10] event JSON recorded after the message when it is appended ('' = none)
# ARGV[11] client message id, as stored in KEYS[7] ('' = none)
# ARGV[12] '1': the customer's own line, written where they read the transcript (the web chat's picture,
#          hub/routes/uploads.py): it ends the reply route to a messaging channel, as APPEND_CUSTOMER does
# Returns {1, new message id}, {0, id of the message stored before under that client id}, or false when the guard refused it
# (its event recorded) or the conversation is gone (erased: nothing recorded, the refusal would name it again).
APPEND = _APPEND_LINE + """
local conv, transcript, events, outbox, deliveries, outbox_due, client_ids = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local cid, channel, body = ARGV[1], ARGV[2], ARGV[3]
local statuses, owner, epoch, refused_event, now, for_customer, appended_event = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local client_id, in_transcript = ARGV[11], ARGV[12]

if client_id ~= '' then
  local before = redis.call('HGET', client_ids, client_id)
  if before then return {0, before} end
end
local status = redis.call('HGET', conv, 'status')
if not status then return false end  -- gone (erased): nothing is written about it, not even the refusal
local ok = true
if statuses ~= '' then ok = string.find(',' .. statuses .. ',', ',' .. status .. ',', 1, true) ~= nil end
if ok and owner ~= '' then ok = redis.call('HGET', conv, 'agent') == owner end
if ok and epoch ~= '' then ok = (redis.call('HGET', conv, 'epoch') or '0') == epoch end
if not ok then
  redis.call('XADD', events, '*', 'e', refused_event)
  return false
end
if in_transcript == '1' then redis.call('HDEL', conv, 'reply_channel', 'reply_to', 'hold_until') end
local id = append_line(conv, transcript, outbox, deliveries, outbox_due, cid, channel, body, now, for_customer)
if client_id ~= '' then redis.call('HSET', client_ids, client_id, id) end
redis.call('HSET', conv, 'updated_at', now)
if appended_event and appended_event ~= '' then redis.call('XADD', events, '*', 'e', appended_event) end
return {1, id}
"""

# Store a customer message and queue its turn in one step, unless a message with
# the same client message id was stored before (then nothing is written). The conversation
# remembers it as the customer's latest (TRANSITION's ``seen``), and takes its language. A message
# written where the customer reads the transcript itself (the web chat) ends the reply route to a
# messaging channel they wrote from before: replies go where the customer last wrote.
# Nothing is written for a conversation that is gone: one erased after the hub checked the
# customer's token must not get a transcript again.
#
# KEYS[1] conversation hash   KEYS[2] transcript stream   KEYS[3] client ids hash
# KEYS[4] pending turns list  KEYS[5] open turns sorted set  KEYS[6] sealed originals hash
# ARGV[1] conversation id     ARGV[2] pub/sub channel of the conversation
# ARGV[3] message JSON without its id (text already masked)   ARGV[4] client message id ('' = none)
# ARGV[5] now                 ARGV[6] the original text, sealed ('' = nothing was masked)
# ARGV[7] '1': written in the transcript's own client (clear reply_channel / reply_to)
# ARGV[8] the conversation's language from now on ('' = unchanged)
# Returns {1, new message id}, {0, id of the message stored before} or {-1, ''} when the conversation is gone.
APPEND_CUSTOMER = """
local conv, transcript, client_ids, pending, open_turns, originals = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local cid, channel, body, client_id, now, sealed, in_transcript, language = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]

if redis.call('EXISTS', conv) == 0 then return {-1, ''} end

if client_id ~= '' then
  local before = redis.call('HGET', client_ids, client_id)
  if before then return {0, before} end
end
local id = redis.call('XADD', transcript, '*', 'm', body)
if client_id ~= '' then redis.call('HSET', client_ids, client_id, id) end
if sealed ~= '' then redis.call('HSET', originals, id, sealed) end
redis.call('RPUSH', pending, id)
redis.call('ZADD', open_turns, 'NX', now, cid)
redis.call('HSET', conv, 'updated_at', now, 'last_customer_message', id)
if in_transcript == '1' then redis.call('HDEL', conv, 'reply_channel', 'reply_to', 'hold_until') end
if language ~= '' then redis.call('HSET', conv, 'language', language) end
redis.call('PUBLISH', channel, '{"type":"message","message":{"id":"' .. id .. '","conversation_id":"' .. cid .. '",' .. string.sub(body, 2) .. '}')
return {1, id}
"""

# The oldest pending turn, its stored message and how many times it has been taken, counting this one ('', ''
# and 0 when none is pending: the conversation is then forgotten in the open turns, and the turn lock let go if
# the caller holds it), for the two scripts below. A turn taken more than once was begun by a worker that died
# or failed before completing it: its replies may already be in the transcript (``Orchestrator._turn``).
_OLDEST_TURN = """
local function oldest_turn(pending, transcript, open_turns, outcomes, cid, lock, token)
  local mid = redis.call('LINDEX', pending, 0)
  if not mid then
    redis.call('ZREM', open_turns, cid)
    if redis.call('GET', lock) == token then redis.call('DEL', lock) end
    return '', '', 0
  end
  local taken = redis.call('HINCRBY', outcomes, 'taken:' .. mid, 1)
  local rows = redis.call('XRANGE', transcript, mid, mid)
  if #rows == 0 then return mid, '', taken end
  local fields = rows[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'm' then return mid, fields[i + 1], taken end
  end
  return mid, '', taken
end
"""

# Take a conversation's turns: its turn lock, if free, and the oldest pending turn with its message and the
# conversation's fields, in one round trip (a customer message's turn starts with these four reads). With
# nothing pending the lock is let go at once.
#
# KEYS[1] turn lock   KEYS[2] pending turns list   KEYS[3] transcript stream   KEYS[4] open turns sorted set
# KEYS[5] conversation hash   KEYS[6] turn outcomes hash
# ARGV[1] lock token  ARGV[2] lock lifetime (ms)   ARGV[3] conversation id
# Returns {0} when someone else holds the lock; else {1, the oldest pending id or '', its message JSON or '',
# how many times that turn has been taken (1: the first), the conversation hash as a flat field/value list}
# ('' id: nothing pending, and the lock is free again).
TAKE_TURNS = _OLDEST_TURN + """
local lock, pending, transcript, open_turns, conv, outcomes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local token, lock_ms, cid = ARGV[1], ARGV[2], ARGV[3]

if not redis.call('SET', lock, token, 'NX', 'PX', lock_ms) then return {0} end
local mid, body, taken = oldest_turn(pending, transcript, open_turns, outcomes, cid, lock, token)
return {1, mid, body, taken, redis.call('HGETALL', conv)}
"""

# Record a customer turn as done. Only the oldest pending turn can be completed,
# so turns finish in the order they were stored. When none is left, the turn lock is let go in the
# same step: a message stored a moment later finds it free (and a round trip is saved). The
# conversation's fields come back too: the state the turn left (the reply's) and the next turn's start.
#
# A turn that ends after its conversation was erased (the bot was still thinking) completes nothing, and deletes
# what Rasa and the turn wrote about the conversation meanwhile (``_FORGET_IF_GONE``, with KEYS[7...]).
#
# KEYS[1] pending turns list   KEYS[2] turn outcomes hash   KEYS[3] open turns sorted set   KEYS[4] transcript stream
# KEYS[5] turn lock            KEYS[6] conversation hash
# KEYS[7...] every key named after the conversation (``Keys.of_conversation``), deleted if it is gone
# ARGV[1] conversation id      ARGV[2] customer message id  ARGV[3] outcome JSON          ARGV[4] lock token
# Returns {1, the next pending turn's id or '', its message JSON or '', how many times it has been taken, the
# conversation hash as a flat list}, or {0, the oldest pending id or '', ...} when that turn was not the oldest
# pending one (already completed, or the conversation is gone: then the hash is an empty list).
COMPLETE_TURN = _OLDEST_TURN + _FORGET_IF_GONE + """
local pending, outcomes, open_turns, transcript, lock, conv = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local cid, mid, outcome, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local completed = 0
if redis.call('LINDEX', pending, 0) == mid then
  redis.call('LPOP', pending)
  redis.call('HSET', outcomes, mid, outcome)
  redis.call('HDEL', outcomes, 'taken:' .. mid)
  completed = 1
end
local next_mid, body, taken = oldest_turn(pending, transcript, open_turns, outcomes, cid, lock, token)
forget_if_gone(conv, 7)
return {completed, next_mid, body, taken, redis.call('HGETALL', conv)}
"""
