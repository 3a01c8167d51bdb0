-- wrk workload: PUT to a random credential id read from a file (one id a line), so that an
-- update's cost is measured across the whole store, not on one hot entry.
-- Usage: wrk ... -s put_ids.lua URL -- IDS_FILE
local ids = {}

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  -- each wrk thread has its own Lua state: seed each from a distinct table address
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end

local body = '{"plainDataObj":{"openAIApiKey":"sk-bench-0000000000000000"}}'
local headers = {
  ["Authorization"] = "Bearer YOUR_API_KEY",
  ["Content-Type"] = "application/json",
}

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("PUT", "/api/v1/credentials/" .. id, headers, body)
end
