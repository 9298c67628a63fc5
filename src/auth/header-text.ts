/**
 * Identity values cross HTTP as bytes. Node hands header values over as latin1 strings (one char per
 * byte) and writes them back the same way; Go (the apiserver) reads those bytes as UTF-8. So a name read
 * from a header is decoded from UTF-8, and a name written into one is encoded to UTF-8 first, so
 * `José` reaches the apiserver as the same bytes kubectl sent. Control characters can never be sent.
 * Extra keys in header names are percent-encoded like client-go's headerKeyEscape (transport/round_trippers.go)
 * and decoded like the apiserver's unescapeExtraKey (url.PathUnescape, lower-cased).
 */

export class UnsendableHeaderValueError extends Error {
  constructor() {
    super('an identity value holds a control character and cannot be sent in a header');
    this.name = 'UnsendableHeaderValueError';
  }
}

export function decodeHeaderText(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

export function encodeHeaderText(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) throw new UnsendableHeaderValueError();
  }
  return Buffer.from(value, 'utf8').toString('latin1');
}

/** RFC 9110 token characters, minus `%` (it starts an escape). */
const LEGAL_KEY_BYTE = /^[!#$&'*+.^_`|~0-9A-Za-z-]$/;

export function escapeExtraKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += LEGAL_KEY_BYTE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unescapeExtraKey(encoded: string): string {
  const lower = encoded.toLowerCase();
  try {
    return decodeURIComponent(lower);
  } catch {
    return lower; // Always record the key, even if malformed (as upstream does).
  }
}
