/**
 * The parts of the suite, in the order they run. Add a part here (its own module under
 * `parts/`) and it is run, summed up and reported like the others.
 *
 * @module
 */
import type { Part } from "../part.js"
import { faultsPart } from "./faults.js"
import { fuzzPart } from "./fuzz.js"
import { shutdownPart } from "./shutdown.js"
import { soakPart } from "./soak.js"

/** Every part, in order. */
export const PARTS: ReadonlyArray<Part> = [fuzzPart, faultsPart, shutdownPart, soakPart]
