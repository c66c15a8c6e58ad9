-- The lean intake client: a wrk script (bench/_lean_client.py starts it; read its docstring first).
--
-- One connection per wrk thread (-t N -c N): wrk's Lua state is per thread, and with one
-- connection in it request() and response() alternate, so the state below is one submitter's.
-- Each submitter loops, a new person each time, as tests/support/load.py's submitters do:
--   GET the form (no cookie) -> take the CSRF cookie, the CSRF token and the one-time form token;
--   POST the next prepared body of this thread (multipart/form-data, made by Python from
--   tests/support/load.py's answers), the tokens as its first two parts, "Connection: close"
--   so that the next person comes on a new connection (spread over the server's workers);
--   expect a 200 page with a receipt, and record it with the times of the GET and the POST.
-- Each request sent is recorded too ("sent", its method and time): wrk has no timeout of its
-- own (its --timeout only sorts latencies), so a request never answered on a connection never
-- closed holds its thread to the end of the run, and only this line says what it waited for.
-- A submitter stops after the answer to its first POST sent after the deadline (so at most one
-- person begun after it), then writes its marker file. That POST keeps its connection alive
-- instead: after a "Connection: close" answer wrk opens a new connection at once, even in a
-- thread that has just stopped, and that connection would sit idle to the end of the run;
-- gunicorn's gthread worker gives each new connection one of its threads for up to 5 s while
-- it waits for the first request, so the idle connections of stopped submitters held a 4 x 1
-- server's threads while the last submitters' POSTs waited unanswered (1 to 29 of 64
-- submitters cut off per run; granian waits for a request without a thread).
-- Each thread writes records-<thread> as it goes; done() (wrk's main state) writes summary.
--
-- Configuration comes from the environment (wrk gives init() no arguments in its main state):
--   REFUGE_LEAN_DIR       bodies-<thread> in; records-<thread>, stopped-<thread> and summary out
--   REFUGE_LEAN_PATH      the form's path
--   REFUGE_LEAN_RUN       the run's id, part of every boundary
--   REFUGE_LEAN_STOP_AT   CLOCK_MONOTONIC seconds after which no new submission starts
--   REFUGE_LEAN_TIMEOUT   seconds after which an answer counts as too late (still recorded)

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } refuge_timespec;
  int clock_gettime(int clock_id, refuge_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("refuge_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local dir = os.getenv("REFUGE_LEAN_DIR")
local path = os.getenv("REFUGE_LEAN_PATH")
local run_id = os.getenv("REFUGE_LEAN_RUN")
local stop_at = tonumber(os.getenv("REFUGE_LEAN_STOP_AT"))
local timeout = tonumber(os.getenv("REFUGE_LEAN_TIMEOUT"))
local ERROR_PAUSE_MS = 50

-- --- the main state: number the threads; at the end, what only wrk saw -------------------------
-- (wrk's thread:get copies tables wrongly, popping the thread's stack once too often: each
-- thread writes its own file instead, and nothing but a number crosses between states.)

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function done(summary, latency, requests)
  local out = assert(io.open(dir .. "/summary", "w"))
  -- Connections refused or failed never reach request(): only wrk counts them.
  out:write("connect\t", summary.errors.connect, "\n", "done\n")
  out:close()
end

-- --- a thread's state: one submitter ----------------------------------------------------------

local out -- records-<thread>: a line per acknowledged submission or error, "stopped" at the end
local inflight = nil -- {method=, started=, index=} of the request on the wire
local blob -- this thread's bodies, one after the other
local bodies = {} -- where each starts in blob, and where the last ends
local next_body = 1
local cookie, csrf, form_token, began, got
local pause = false
local stopped = false
local get_request
-- Before the run wrk calls the first thread's request() once to count the requests in what it
-- returns (script_verify_request: pipelining); that call sends nothing.
local counting_call = false

function init(args)
  local file = assert(io.open(dir .. "/bodies-" .. id, "rb"))
  local lengths = file:read("*l")
  blob = file:read("*a")
  file:close()
  -- Cut out one at a time, when sent: bodies[i] .. bodies[i + 1] - 1 is the i-th body in blob.
  local position = 1
  for length in lengths:gmatch("%d+") do
    bodies[#bodies + 1] = position
    position = position + tonumber(length)
  end
  bodies[#bodies + 1] = position
  get_request = wrk.format("GET", path, {
    ["User-Agent"] = "refuge-load/1",
    ["Accept-Language"] = "en",
    ["Connection"] = "keep-alive",
  })
  -- Written as it comes (buffered): a thread cut off by the end of the run still leaves what it
  -- had, since wrk's exit flushes every open file; only "stopped" is missing then.
  out = assert(io.open(dir .. "/records-" .. id, "w"))
  counting_call = id == 1
end

local function error_of(kind, example)
  local text = (example or ""):gsub("%s+", " "):match("^ ?(.-) ?$"):sub(1, 300)
  out:write("error\t", kind, "\t", text, "\n")
  pause = true
end

local function sent(method, at)
  out:write(string.format("sent\t%s\t%.6f\n", method, at))
end

local function stop()
  if not stopped then
    stopped = true
    out:write("stopped\n")
    out:close()
    local marker = assert(io.open(dir .. "/stopped-" .. id, "w"))
    marker:close()
    wrk.thread:stop()
  end
end

local function page_error(body)
  local text = body:match('class="error%-summary__list"[^>]*>(.-)</ul>') or body:match("<title>(.-)</title>")
  text = text or body:sub(1, 200)
  return (text:gsub("<[^>]+>", " "))
end

function delay()
  if pause then
    pause = false
    return ERROR_PAUSE_MS
  end
  return 0
end

function request()
  if counting_call then
    counting_call = false
    return get_request
  end
  local at = now()
  if inflight then
    -- wrk asks again without an answer to the last request: the connection broke.
    error_of(inflight.method .. " got no answer (connection broken)", inflight.method .. " " .. path)
    inflight = nil
    csrf = nil
    if at >= stop_at then
      stop()
    end
  end
  if stopped then
    -- wrk still wants a request: an empty one sends nothing.
    return ""
  end
  if csrf == nil then
    began = at
    inflight = { method = "GET", started = at }
    sent("GET", at)
    return get_request
  end
  if next_body + 1 > #bodies then
    error_of("POST not sent: the thread's prepared bodies ran out", "bodies-" .. id)
    csrf = nil
    stop()
    return ""
  end
  local body = blob:sub(bodies[next_body], bodies[next_body + 1] - 1)
  local boundary = "----refuge" .. run_id .. "-" .. id .. "-" .. next_body
  local dash = "--" .. boundary .. "\r\n"
  local content = table.concat({
    dash, 'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n', csrf, "\r\n",
    dash, 'Content-Disposition: form-data; name="form_token"\r\n\r\n', form_token, "\r\n",
    body,
  })
  local index = next_body
  next_body = next_body + 1
  csrf = nil
  -- The first POST sent after the deadline is this submitter's last (see the top of the file).
  local last = at >= stop_at
  inflight = { method = "POST", started = now(), index = index, last = last }
  sent("POST", inflight.started)
  return wrk.format("POST", path, {
    ["User-Agent"] = "refuge-load/1",
    ["Accept-Language"] = "en",
    ["Connection"] = last and "keep-alive" or "close",
    ["Cookie"] = cookie,
    -- What a browser sends on a same-origin form post from a no-referrer page (refuge/core/csrf.py).
    ["Origin"] = "null",
    ["Sec-Fetch-Site"] = "same-origin",
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, content)
end

local function csrf_cookie(headers)
  for name, value in pairs(headers) do
    if name:lower() == "set-cookie" then
      local pair = value:match("^([^;]*)")
      if pair:find("csrf", 1, true) then
        return pair
      end
    end
  end
  return nil
end

function response(status, headers, body)
  local at = now()
  local sent = inflight
  inflight = nil
  if sent == nil then
    return
  end
  if at - sent.started > timeout then
    error_of(string.format("%s answered after more than %d s", sent.method, timeout), path)
  end
  if sent.method == "GET" then
    got = at
    local token = body:match('name="csrfmiddlewaretoken" value="([^"]+)"')
    local form = body:match('name="form_token" value="([^"]+)"')
    local pair = csrf_cookie(headers)
    if status ~= 200 or token == nil or form == nil or pair == nil then
      error_of("GET answered " .. status .. " without the form", page_error(body))
      if at >= stop_at then
        stop()
      end
      return
    end
    csrf, form_token, cookie = token, form, pair
    return
  end
  if status ~= 200 then
    error_of("POST answered " .. status, page_error(body))
  else
    local groups = {}
    for group in body:gmatch('<span class="receipt__group">([0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z])</span>') do
      groups[#groups + 1] = group
    end
    if #groups ~= 5 then
      error_of("POST answered 200 without a receipt", page_error(body))
    else
      -- thread, body, receipt, GET seconds, POST seconds, when the answer came (CLOCK_MONOTONIC)
      out:write(string.format(
        "ok\t%d\t%s\t%.6f\t%.6f\t%.6f\n", sent.index, table.concat(groups, "-"), got - began, at - sent.started, at
      ))
    end
  end
  if sent.last then
    stop()
  end
end
