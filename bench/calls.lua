-- wrk script: POST distinct incomingCall notifications (a new idMessage on every request),
-- from a pool of callers, with the webhook token.
-- Usage: wrk ... -s bench/calls.lua URL -- TOKEN RUN_ID CALLERS
local headers
local run_id = 0
local callers = 1000
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  headers = {
    ["Authorization"] = "Bearer " .. args[1],
    ["Content-Type"] = "application/json",
  }
  run_id = tonumber(args[2])
  callers = tonumber(args[3])
end

function request()
  counter = counter + 1
  -- 32 upper-case hex characters, unique per run, thread and request.
  local id = string.format("%08X%08X%016X", run_id, thread_id, counter)
  local body = string.format(
    '{"from": "7900%07d@c.us", "typeWebhook": "incomingCall", "instanceData": '
      .. '{"idInstance": 1101000001, "wid": "79009876543@c.us", "typeInstance": "whatsapp"}, '
      .. '"status": "offer", "timestamp": %d, "idMessage": "%s"}',
    counter % callers, 1764086400 + counter, id)
  return wrk.format("POST", "/", headers, body)
end

-- done(): the RESULT line, the same for every script (bench/result.lua, next to this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
