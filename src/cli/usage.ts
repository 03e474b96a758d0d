/**
 * The CLI's help text.
 *
 * @module
 */

/** What `effect-nethttp --help` prints. */
export const USAGE = `effect-nethttp: Go's net/http on Effect, from the command line

Usage:
  effect-nethttp get URL [-o FILE] [--trace] [-H "Name: value"]... [--timeout 30s]
  effect-nethttp serve DIR [--port N] [--host H]
  effect-nethttp --help

get URL
  GETs URL with the Client: redirects followed (at most 10), proxies from the environment
  (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), TLS certificates verified. The body goes to
  stdout. A URL without a scheme gets http://.
  -o, --output FILE      write the body to FILE instead of stdout
  -H, --header "N: v"    add a request header field (repeatable)
      --timeout D        a limit for the whole request, body included: 500ms, 30s, 2m, 1h30m
                         (a bare number is seconds; 0 or absent: no limit)
      --trace            print connection events and redirects to stderr, in ms since start
  A progress bar goes to stderr when it is a terminal or with -o (not while the body goes to
  a terminal). A status outside 2xx is printed on stderr and exits 1; the body is written.

serve DIR
  Serves the files under DIR (index.html, directory listings, ranges, conditional requests),
  printing one access log line per request on stdout. Ctrl-C or SIGTERM shuts it down
  gracefully.
  -p, --port N           the port (default 8080; 0 picks a free one)
      --host H           the address (default 127.0.0.1)

Exit codes: 0 success, 1 the request or the command failed (non-2xx status included),
2 bad usage.
`
