/**
 * A tracer for tests that records the spans it is asked for: name, kind, attributes and span
 * id. Ids are valid W3C ids (a 32-digit trace id, 16-digit span ids counting from 1), so what a
 * client propagates can be checked against them.
 */
import { Tracer } from "effect"

/** One span as recorded. */
export interface RecordedSpan {
  readonly name: string
  readonly kind: string
  readonly attributes: Map<string, unknown>
  readonly spanId: string
}

/** The trace id of every recorded span. */
export const TRACE_ID = "0".repeat(31) + "1"

/** A new recording tracer and the list it records into. */
export const recordingTracer = (): { readonly spans: Array<RecordedSpan>; readonly tracer: Tracer.Tracer } => {
  const spans: Array<RecordedSpan> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const spanId = String(spans.length + 1).padStart(16, "0")
      spans.push({ name, kind, attributes, spanId })
      return {
        _tag: "Span",
        name,
        spanId,
        traceId: TRACE_ID,
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: () => {},
        attribute: (key, value) => void attributes.set(key, value),
        event: () => {},
        addLinks: () => {}
      }
    },
    context: (f) => f()
  })
  return { spans, tracer }
}
