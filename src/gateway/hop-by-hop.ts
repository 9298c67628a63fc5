/**
 * Hop-by-hop headers describe one connection, not the message, and a proxy must not forward them
 * (RFC 9110 §7.6.1; RFC 7230 §6.1): `Connection` and every header it names, plus the fixed set below.
 * For a protocol upgrade the `Upgrade` header and `Connection: Upgrade` are what ask the next hop to
 * switch protocols, so an upgrade keeps exactly those two.
 */
import { filterHeaders, headerTokens, type RawHeaders } from './raw-headers.js';

export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

const HOP_BY_HOP = new Set(HOP_BY_HOP_HEADERS);

export function removeHopByHopHeaders(raw: RawHeaders, opts: { keepUpgrade?: boolean } = {}): string[] {
  // Most messages name nothing in Connection beyond the fixed set (`keep-alive`): that set serves as is.
  const named = headerTokens(raw, 'connection').filter((token) => !HOP_BY_HOP.has(token));
  const drop = named.length === 0 && !opts.keepUpgrade ? HOP_BY_HOP : new Set([...HOP_BY_HOP_HEADERS, ...named]);
  if (!opts.keepUpgrade) return filterHeaders(raw, (name) => !drop.has(name));
  drop.delete('upgrade');
  return [...filterHeaders(raw, (name) => !drop.has(name)), 'Connection', 'Upgrade'];
}
