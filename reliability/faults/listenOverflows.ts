/**
 * The kernel's count of connections dropped because a listen queue was full (Linux
 * `/proc/net/netstat`, TcpExt `ListenOverflows`): when a server accepts more slowly than
 * clients connect, the queue (the listen backlog) fills and the kernel drops the last step of
 * new handshakes; those clients then wait for a TCP retransmission (200 ms and more) before
 * their request is seen. The counter is the machine's, not one socket's: read around a
 * scenario that runs alone, it is that scenario's.
 *
 * @module
 */
import * as fs from "node:fs"

/** `TcpExt: ListenOverflows` now, or undefined where it cannot be read (not Linux). */
export const listenOverflows = (): number | undefined => {
  try {
    const lines = fs.readFileSync("/proc/net/netstat", "latin1").split("\n")
    for (let i = 0; i + 1 < lines.length; i++) {
      if (!lines[i]!.startsWith("TcpExt:") || !lines[i + 1]!.startsWith("TcpExt:")) continue
      const names = lines[i]!.trim().split(/\s+/)
      const values = lines[i + 1]!.trim().split(/\s+/)
      const at = names.indexOf("ListenOverflows")
      return at < 0 ? undefined : Number(values[at])
    }
    return undefined
  } catch {
    return undefined
  }
}

/** The figure for a scenario: overflows between two readings, "-" when unknown. */
export const overflowFigure = (before: number | undefined, after: number | undefined): readonly [string, string] => [
  "listen queue overflows (kernel, handshakes dropped)",
  before === undefined || after === undefined ? "-" : String(after - before)
]
