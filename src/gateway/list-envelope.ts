/**
 * The envelope of a stitched list: what goes before its elements and after them, made from the envelope
 * of the first page the upstream sent (json-list-splitter.ts: the page with its array emptied). The
 * client asked for the whole list, so the page's `metadata.continue` and `metadata.remainingItemCount`
 * are left out; everything else (kind, apiVersion, the snapshot's resourceVersion, a Table's column
 * definitions) is kept in the upstream's order. Pure.
 */

export interface ListEnvelope {
  /** Up to the array's opening bracket (excluded): `{"kind":"SecretList",…,"items":`. */
  readonly prefix: string;
  /** After the array's closing bracket: `}`. */
  readonly suffix: string;
  /** The page's continue token, when more pages follow. */
  readonly continue: string | undefined;
  readonly resourceVersion: string | undefined;
}

const MARK = '\u0000listgate-elements\u0000';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `text`: a page's envelope with an empty array (`[]`) where its elements were; `key`: `items` or `rows`. */
export function listEnvelopeOf(text: string, key: string): ListEnvelope {
  const page = JSON.parse(text) as unknown;
  if (!isObject(page)) throw new SyntaxError('a list page is not a JSON object');
  const metadata = isObject(page.metadata) ? { ...page.metadata } : undefined;
  const token = typeof metadata?.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined;
  const resourceVersion = typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : undefined;
  const whole: Json = {};
  for (const [name, value] of Object.entries(page)) {
    if (name === 'metadata' && metadata) {
      delete metadata.continue;
      delete metadata.remainingItemCount;
      whole.metadata = metadata;
    } else whole[name] = name === key ? MARK : value;
  }
  if (!(key in whole)) whole[key] = MARK;
  const [prefix, suffix] = JSON.stringify(whole).split(JSON.stringify(MARK)) as [string, string];
  return { prefix, suffix, continue: token, resourceVersion };
}
