/**
 * Which kind of client sent a request, from its User-Agent, so that advice (the 429's hint) names
 * something the client can act on:
 *   - `kubectl`: `kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07` (`kubectl.exe/…` on Windows): client-go
 *     names the binary, kubectl's own name;
 *   - `client-go`: any other program built on client-go — controllers, operators, informers. client-go
 *     sends `rest.DefaultKubernetesUserAgent()` unless the program sets its own: `NAME/VERSION (OS/ARCH)
 *     kubernetes/COMMIT`, with `/component` appended by `rest.AddUserAgent`; a program that sets its own
 *     and says `client-go` in it counts too. These can stream their informers' initial lists with the
 *     WatchListClient feature;
 *   - `other`: everything else — no User-Agent, curl, @kubernetes/client-node (`node-fetch/…`), the Python
 *     client (`OpenAPI-Generator/…`), and a bare Go `net/http` client (`Go-http-client/1.1`: client-go
 *     never sends that, so it is a program with its own HTTP code, which can page but has no informer
 *     feature to switch on).
 * Pure.
 */

export type ClientKind = 'kubectl' | 'client-go' | 'other';

const KUBECTL = /^kubectl(\.exe)?\//i;
/** client-go's default: `NAME/VERSION (OS/ARCH) kubernetes/COMMIT[/component…]`. */
const CLIENT_GO_DEFAULT = /^[^\s/]+\/\S+ \([^)\s]+\/[^)\s]+\) kubernetes\/\S+/;
const SAYS_CLIENT_GO = /\bclient-go\b/i;

export function classifyClient(userAgent: string | undefined): ClientKind {
  if (!userAgent) return 'other';
  if (KUBECTL.test(userAgent)) return 'kubectl';
  if (CLIENT_GO_DEFAULT.test(userAgent) || SAYS_CLIENT_GO.test(userAgent)) return 'client-go';
  return 'other';
}
