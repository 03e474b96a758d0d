/**
 * Where servers announce themselves: a `Server` built in a context that holds `ServerRegistry`
 * registers its service there, whatever Layer built it (`Server.layer` directly, a ServeMux,
 * or the @effect/platform layer, whose `Server` is not among its outputs). A cluster worker
 * provides one around the user's Layer to find the servers whose stats it reports and whose
 * shutdown it runs (`cluster/worker.ts`).
 *
 * @module
 * @internal
 */
import { Context } from "effect"
import type { ServerService } from "./Server.js"

/**
 * Collects the servers built while it is in context.
 *
 * @internal
 */
export class ServerRegistry extends Context.Tag("effect-nethttp/ServerRegistry")<
  ServerRegistry,
  { readonly register: (server: ServerService) => void }
>() {}
