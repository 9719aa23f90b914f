-- wrk script: every request takes a path at random from the file named by the PATHS
-- environment variable (one path per line), prefixed with PREFIX when set (the ceiling serves
-- a workload under its name). Popularity is in the file: a Zipf workload repeats hot paths, a
-- uniform one lists each path once.
local paths = {}
local prefix = os.getenv("PREFIX") or ""
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = prefix .. line
end
math.randomseed(os.time())

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
