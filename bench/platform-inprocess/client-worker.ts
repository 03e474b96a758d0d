/**
 * The client of `npm run bench:platform-inprocess`, in a worker thread of the server's process:
 * `concurrency` keep-alive connections over loopback, each sending the next `GET /` as soon as
 * the previous answer (ending with the 13-byte body) came. It reports the requests answered and
 * its own thread's CPU (from `/proc/thread-self/stat`, Linux) at the start and the end of the
 * measured window, so that the server's CPU is the process's minus this thread's.
 *
 * @module
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { parentPort, workerData } from "node:worker_threads"

interface Settings {
  readonly port: number
  readonly concurrency: number
  readonly warmupMs: number
  readonly measureMs: number
}

const { port, concurrency, warmupMs, measureMs } = workerData as Settings
const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n", "latin1")
const BODY = "Hello, World!"

/** This thread's CPU time in microseconds (utime + stime, in clock ticks of 10 ms). */
const threadCpuMicros = (): number => {
  const stat = fs.readFileSync("/proc/thread-self/stat", "latin1")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  // Fields 14 and 15 of stat(5), counted from the state (field 3) here.
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

let answered = 0
let open = true
const sockets: Array<net.Socket> = []
for (let i = 0; i < concurrency; i++) {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true }, () => socket.write(REQUEST))
  socket.on("data", (chunk: Buffer) => {
    // One answer per chunk: the server writes head and body at once, and we ask for one at a time.
    if (chunk.length >= BODY.length && chunk.toString("latin1", chunk.length - BODY.length) === BODY) {
      answered++
      if (open) socket.write(REQUEST)
    }
  })
  socket.on("error", () => {})
  sockets.push(socket)
}

setTimeout(() => {
  const n0 = answered
  const c0 = threadCpuMicros()
  parentPort!.postMessage({ phase: "start" })
  setTimeout(() => {
    const requests = answered - n0
    const cpu = threadCpuMicros() - c0
    open = false
    parentPort!.postMessage({ phase: "stop", requests, clientCpuMicros: cpu })
    for (const s of sockets) s.destroy()
  }, measureMs)
}, warmupMs)
