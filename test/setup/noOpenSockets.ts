/**
 * ARCHITECTURE.md, invariant 1: after a test file's Scopes have closed, no socket is left
 * open. Runs after every test file (a vitest setup file): waits a bounded time for sockets
 * still closing, then fails the file if any TCP socket or server remains.
 */
import { afterAll, expect } from "vitest"

const openSockets = (): Array<string> =>
  process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap")

afterAll(async () => {
  const deadline = Date.now() + 2_000
  while (openSockets().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  expect(openSockets(), "TCP sockets or servers left open after the file's tests").toEqual([])
})
