-- wrk script: every request takes a path at random from the file named by the PATHS
-- environment variable (one path per line), prefixed with PREFIX when set (the ceiling serves
-- a workload under its name). Popularity is in the file: a Zipf workload repeats hot paths, a
-- uniform one lists each path once.
--
-- wrk builds each thread's Lua state on its main thread, one after the other, and starts a
-- thread as soon as its state is built; the requests a thread sends before the last one starts
-- are counted, the time they took is not. Read into a table of strings, the 965k paths of the
-- 1M archive took ~1.5 s per state: the first thread ran alone meanwhile, req/s came out ~25 %
-- high (ceiling 95.9k at 5 s, 76.9k at 20 s) and the p99 was wrk's (150 ms, the server's 5 ms).
-- So the file is read and indexed once, in `setup` on the main thread, and each thread is
-- handed two strings: the text, and where each line starts (4 bytes of 7 bits, the high bit
-- set: wrk copies a string up to its first NUL byte).
local ffi = require("ffi")

local loaded

local function load()
  local name = os.getenv("PATHS")
  local file = assert(io.open(name, "rb"))
  local text = file:read("*a")
  file:close()
  if text:sub(-1) ~= "\n" then text = text .. "\n" end
  local bytes, len = ffi.cast("const uint8_t *", text), #text
  local starts = ffi.new("uint8_t[?]", 4 * len)
  local count, from = 0, 0
  for i = 0, len - 1 do
    if bytes[i] == 10 then
      if i > from then -- empty lines are skipped
        local o = 4 * count
        starts[o] = 128 + bit.band(bit.rshift(from, 21), 127)
        starts[o + 1] = 128 + bit.band(bit.rshift(from, 14), 127)
        starts[o + 2] = 128 + bit.band(bit.rshift(from, 7), 127)
        starts[o + 3] = 128 + bit.band(from, 127)
        count = count + 1
      end
      from = i + 1
    end
  end
  assert(count > 0, "no paths in " .. name)
  return { text = text, starts = ffi.string(starts, 4 * count), count = count }
end

function setup(thread)
  loaded = loaded or load()
  thread:set("seed", math.random(1, 1e9))
  thread:set("paths_text", loaded.text)
  thread:set("paths_starts", loaded.starts)
  thread:set("paths_count", loaded.count)
end

local prefix = os.getenv("PREFIX") or ""
local text, starts, count

function init(args)
  math.randomseed(seed)
  text, count = paths_text, paths_count
  starts = ffi.cast("const uint8_t *", paths_starts)
end

function request()
  local o = 4 * math.random(0, count - 1)
  local from = bit.bor(bit.lshift(starts[o] - 128, 21), bit.lshift(starts[o + 1] - 128, 14),
    bit.lshift(starts[o + 2] - 128, 7), starts[o + 3] - 128) + 1
  return wrk.format("GET", prefix .. text:sub(from, text:find("\n", from, true) - 1))
end
