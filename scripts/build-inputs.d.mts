// Types for scripts/build-inputs.mjs, which the benchmark imports.
export const STAMP_FILE: string;
/** The hash of everything the build reads, relative to the working directory (the project root). */
export function sourceStamp(): string;
/** True when the pages and the server are built from exactly the current sources. */
export function buildIsCurrent(): boolean;
