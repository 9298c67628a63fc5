/**
 * Header lists in Node's `rawHeaders` form: a flat `[name, value, name, value, …]` array that keeps the
 * client's order, spelling and duplicates (two `Warning` lines stay two lines). Both `http.request` and
 * `ServerResponse.writeHead` accept this form, so headers are relayed without merging.
 */

export type RawHeaders = readonly string[];

/** Keeps the pairs whose lower-cased name passes `keep`. */
export function filterHeaders(raw: RawHeaders, keep: (lowerName: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (keep(name.toLowerCase())) out.push(name, raw[i + 1]!);
  }
  return out;
}

/** Every value of a header, in order (case-insensitive name). */
export function headerValues(raw: RawHeaders, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === wanted) out.push(raw[i + 1]!);
  }
  return out;
}

/** The values of a header joined the way HTTP allows for list-valued fields, or undefined. */
export function headerValue(raw: RawHeaders, name: string): string | undefined {
  const values = headerValues(raw, name);
  return values.length === 0 ? undefined : values.join(', ');
}

/** Comma-separated tokens of a header (`Connection: keep-alive, Upgrade`), lower-cased. */
export function headerTokens(raw: RawHeaders, name: string): string[] {
  return headerValues(raw, name)
    .flatMap((v) => v.split(','))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}
