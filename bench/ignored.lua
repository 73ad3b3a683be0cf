-- wrk script: POST the ignored GREEN-API sample bodies in turn, with the webhook token.
-- Usage: wrk ... -s bench/ignored.lua URL -- TOKEN FILE [FILE ...]
-- Prints one JSON line (prefixed "RESULT ") with the run's totals and latency percentiles.
local requests = {}
local next_index = 1

function init(args)
  local headers = {
    ["Authorization"] = "Bearer " .. args[1],
    ["Content-Type"] = "application/json",
  }
  for i = 2, #args do
    local file = assert(io.open(args[i], "rb"))
    local body = file:read("*a")
    file:close()
    requests[#requests + 1] = wrk.format("POST", "/", headers, body)
  end
end

function request()
  local req = requests[next_index]
  next_index = next_index % #requests + 1
  return req
end

-- done(): the RESULT line, the same for every script (bench/result.lua, next to this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
