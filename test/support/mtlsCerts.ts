/**
 * Certificates for mutual TLS tests, made by openssl into a temporary directory: a CA we
 * control ("Test CA"), a server certificate it issued (CN=localhost, DNS:localhost,
 * IP:127.0.0.1), a client certificate it issued (CN=alice, O=Clients), one from another CA
 * (CN=mallory, issued by "Other CA") and a self-signed one (CN=eve). All P-256, valid 2 days.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** A key and its certificate, PEM. */
export interface Pem {
  readonly key: string
  readonly cert: string
}

/** The certificates, and the directory holding them as `<name>.key` / `<name>.pem`. */
export interface MtlsCerts {
  readonly dir: string
  readonly ca: string
  readonly otherCa: string
  readonly server: Pem
  readonly alice: Pem
  readonly mallory: Pem
  readonly eve: Pem
  /** Removes the directory. */
  readonly remove: () => void
}

/** Makes the certificates (a few hundred milliseconds of openssl; each call at most 20 s). */
export const makeMtlsCerts = (): MtlsCerts => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtls-"))
  const openssl = (...args: Array<string>): void => {
    execFileSync("/usr/bin/openssl", args, { cwd: dir, stdio: "ignore", timeout: 20_000 })
  }
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
  const selfSigned = (name: string, subject: string): void =>
    openssl("req", "-x509", ...ec, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "2", "-subj", subject)
  const issue = (name: string, subject: string, issuer: string, ext: string): void => {
    openssl("req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject)
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`)
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`)
  }
  const read = (name: string): Pem => ({
    key: fs.readFileSync(path.join(dir, `${name}.key`), "utf8"),
    cert: fs.readFileSync(path.join(dir, `${name}.pem`), "utf8")
  })
  selfSigned("ca", "/CN=Test CA")
  selfSigned("other-ca", "/CN=Other CA")
  issue("server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1")
  issue("alice", "/CN=alice/O=Clients", "ca", "extendedKeyUsage=clientAuth")
  issue("mallory", "/CN=mallory", "other-ca", "extendedKeyUsage=clientAuth")
  selfSigned("eve", "/CN=eve")
  return {
    dir,
    ca: read("ca").cert,
    otherCa: read("other-ca").cert,
    server: read("server"),
    alice: read("alice"),
    mallory: read("mallory"),
    eve: read("eve"),
    remove: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}
