/**
 * Raw TCP clients for the faults scenarios (node:net on 127.0.0.1): connecting, one exchange
 * read to the close, and running many tasks with bounded concurrency.
 *
 * @module
 */
import * as net from "node:net"

/** Connects to 127.0.0.1:`port`; rejects on an error or after `timeoutMs`. */
export const connect = (port: number, timeoutMs = 5_000): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`connect: no connection within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once("connect", () => {
      clearTimeout(timer)
      socket.removeAllListeners("error")
      socket.on("error", () => undefined)
      resolve(socket)
    })
    socket.once("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })

/** What came of one raw exchange. */
export interface Exchange {
  /** The status of the first response line, if one came. */
  readonly status: number | undefined
  /** Bytes received. */
  readonly received: number
  /** The server closed (or reset) the connection before `timeoutMs`. */
  readonly closed: boolean
  readonly error: string | undefined
  readonly ms: number
}

/**
 * Sends `request` on a new connection (then half-closes it when `halfClose`), and reads until
 * the connection closes or `timeoutMs` passes.
 */
export const exchange = (port: number, request: string | Uint8Array, options: { readonly halfClose?: boolean; readonly timeoutMs?: number } = {}): Promise<Exchange> =>
  new Promise((resolve) => {
    const start = Date.now()
    const socket = net.connect({ host: "127.0.0.1", port })
    let head = ""
    let received = 0
    let error: string | undefined
    let settled = false
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head)
      resolve({ status: m === null ? undefined : Number(m[1]), received, closed, error, ms: Date.now() - start })
    }
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000)
    socket.on("connect", () => {
      socket.write(request)
      if (options.halfClose === true) socket.end()
    })
    socket.on("data", (b: Buffer) => {
      received += b.length
      if (head.length < 64) head += b.subarray(0, 64).toString("latin1")
    })
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message
    })
    socket.on("close", () => finish(true))
  })

/** Runs `task(0..n-1)` with at most `concurrency` at once; the results in order. */
export const pool = async <A>(n: number, concurrency: number, task: (i: number) => Promise<A>): Promise<Array<A>> => {
  const results = new Array<A>(n)
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      results[i] = await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker))
  return results
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A GET request head for `path` (`Connection: close` when `close`). */
export const getRequest = (path: string, close: boolean): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${close ? "Connection: close\r\n" : ""}\r\n`

/**
 * Runs `batch` again and again until it ran at least once and `minMs` passed, so a fault that
 * is over in milliseconds still spans enough of the probe's requests to judge; all results.
 */
export const repeatFor = async <A>(minMs: number, batch: () => Promise<ReadonlyArray<A>>): Promise<Array<A>> => {
  const start = Date.now()
  const all: Array<A> = []
  do all.push(...(await batch()))
  while (Date.now() - start < minMs)
  return all
}
