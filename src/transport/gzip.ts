/**
 * Transparent gzip decoding of response bodies (Go's `gzipReader`): a whole body at once, or a
 * body pulled chunk by chunk through node:zlib.
 *
 * @module
 */
import { Effect, Either, Option } from "effect"
import * as zlib from "node:zlib"

/** A pull: the next chunk, `None` at the end, `Some(e)` on failure (as `Stream.repeatEffectOption`). */
export type Pull<E> = Effect.Effect<Uint8Array, Option.Option<E>>

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Decodes a complete gzip body. An empty body decodes to empty, as Go's reader ends at once
 * on empty input.
 */
export const gunzipBytes = (bytes: Uint8Array): Either.Either<Uint8Array, string> => {
  if (bytes.length === 0) return Either.right(bytes)
  try {
    return Either.right(zlib.gunzipSync(bytes))
  } catch (error) {
    return Either.left(message(error))
  }
}

/**
 * Decodes a gzip body as it is pulled from `pull`. The decoder is created on the first pull;
 * `onError` turns a decoding failure (corrupt or truncated data) into the pull's error.
 * `release` frees the decoder if the stream is abandoned early.
 */
export const gunzipPull = <E>(pull: Pull<E>, onError: (detail: string) => E): { readonly pull: Pull<E>; readonly release: () => void } => {
  let z: zlib.Gunzip | undefined
  const out: Array<Uint8Array> = []
  let failure: string | undefined
  let ended = false
  let inputDone = false

  const decoder = (): zlib.Gunzip => {
    if (z !== undefined) return z
    const d = zlib.createGunzip()
    d.on("data", (b: Buffer) => out.push(b))
    d.on("error", (e) => {
      failure ??= message(e)
    })
    d.on("end", () => {
      ended = true
    })
    z = d
    return d
  }

  // Feeds one chunk and waits until zlib has processed it (a sync flush makes it emit what it can).
  const write = (chunk: Uint8Array): Effect.Effect<void> =>
    Effect.async<void>((resume) => {
      const d = decoder()
      d.write(chunk)
      d.flush(zlib.constants.Z_SYNC_FLUSH, () => resume(Effect.void))
    })

  // Ends the input and waits for the decoder to end or fail (a truncated stream fails).
  const finish: Effect.Effect<void> = Effect.async<void>((resume) => {
    const d = decoder()
    if (ended || failure !== undefined) return resume(Effect.void)
    const done = () => {
      d.off("end", done)
      d.off("error", done)
      resume(Effect.void)
    }
    d.on("end", done)
    d.on("error", done)
    d.end()
  })

  const next: Pull<E> = Effect.suspend((): Pull<E> => {
    if (out.length > 0) return Effect.succeed(out.shift()!)
    if (failure !== undefined) return Effect.fail(Option.some(onError(failure)))
    if (ended) return Effect.fail(Option.none())
    if (inputDone) return Effect.zipRight(finish, next)
    return Effect.matchEffect(pull, {
      onFailure: (e) => {
        if (Option.isSome(e)) return Effect.fail(e)
        inputDone = true
        return next
      },
      onSuccess: (chunk) => Effect.zipRight(write(chunk), next)
    })
  })

  return {
    pull: next,
    release: () => {
      if (z !== undefined && !z.destroyed) z.destroy()
    }
  }
}
