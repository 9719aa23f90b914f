-- wrk script for bench/writes.sh: every request creates a topic with a name no other request
-- used (a public change: topic.created, which webhooks subscribed to "*" receive). TOKEN is an
-- admin's access token.
local token = os.getenv("TOKEN")
local counter = 0
local threads = 0

-- Runs in wrk's main state: each thread gets its own number (a global in its own state).
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function request()
  counter = counter + 1
  local body = string.format('{"name":"Bench topic %d-%d-%d"}', thread_number, counter, os.time())
  return wrk.format("POST", "/api/v1/admin/topics", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
