-- bench/keys.lua — wrk script for bench/forward-auth.sh: forward-auth checks
-- with a different API key on every request.
--
-- Environment:
--   BENCH_KEYS_FILE    file with one plaintext key a line (required)
--   BENCH_ORIGINAL_URI X-Original-URI to send (default /mcp/x)
--
-- Sends GET <url path> with X-Original-URI and X-API-Key: keys[i], i cycling
-- through the file (wrk runs for its -d duration; to send every key exactly
-- once use bench/probe-keys.js instead). Counts answers by status. Use with
-- -t1 (one Lua state: with more threads every thread walks the whole file).
--
-- Output (parsed by forward-auth.sh), one line each:
--   keys_loaded <n>
--   keys_ok <n>              2xx answers
--   keys_other <n>           any other status
--   keys_status <code> <n>   one line per non-2xx status

local file = os.getenv("BENCH_KEYS_FILE")
local uri = os.getenv("BENCH_ORIGINAL_URI") or "/mcp/x"

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	keys = {}
	for line in io.lines(file) do
		if #line > 0 then
			keys[#keys + 1] = line
		end
	end
	assert(#keys > 0, "no keys in " .. tostring(file))
	n_keys = #keys
	i = 0
	ok = 0
	other = 0
	codes = {}
	headers = {["X-Original-URI"] = uri}
end

function request()
	i = i + 1
	if i > n_keys then
		i = 1
	end
	headers["X-API-Key"] = keys[i]
	return wrk.format("GET", nil, headers)
end

function response(status, hdrs, body)
	if status >= 200 and status < 300 then
		ok = ok + 1
	else
		other = other + 1
		local k = tostring(status)
		codes[k] = (codes[k] or 0) + 1
	end
end

function done(summary, latency, requests)
	local loaded, total_ok, total_other, all = 0, 0, 0, {}
	for _, t in ipairs(threads) do
		loaded = loaded + (t:get("n_keys") or 0)
		total_ok = total_ok + (t:get("ok") or 0)
		total_other = total_other + (t:get("other") or 0)
		local c = t:get("codes") or {}
		for k, v in pairs(c) do
			all[k] = (all[k] or 0) + v
		end
	end
	io.write(string.format("keys_loaded %d\n", loaded))
	io.write(string.format("keys_ok %d\n", total_ok))
	io.write(string.format("keys_other %d\n", total_other))
	for k, v in pairs(all) do
		io.write(string.format("keys_status %s %d\n", k, v))
	end
end
