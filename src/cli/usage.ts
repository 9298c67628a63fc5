/**
 * What `listgate --help` and `listgate <command> --help` print. Plain text with no imports beyond plain
 * data, so asking for help loads nothing of the gateway, the simulator or the Kubernetes client.
 */
import { DEV_USER } from '../certs/dev-users.js';

export const HELP = `listgate — an authenticating gateway that keeps LIST storms from killing kube-apiserver

Usage: listgate <command> [flags]

Commands:
  serve         run the gateway (listgate serve --config FILE)
  check-config  validate a configuration file without starting (listgate check-config FILE)
  estimate      what a request would cost the apiserver, and why (listgate estimate --config FILE PATH?QUERY)
  calibrate     measure the apiserver's memory per LIST response byte (listgate calibrate --kubeconfig FILE)
  demo          run the simulator and the gateway in front of it on loopback, with kubeconfigs (npm start)
  simulate      run the kube-apiserver simulator alone
  certs         create a development PKI and client certificates (certs init, certs client)

Run 'listgate <command> --help' for the flags of a command.
`;

export const SERVE_HELP = `Usage: listgate serve --config FILE

Runs the gateway with the configuration in FILE (YAML), reloads FILE and the files it names when they
change, and drains and exits 0 on SIGTERM or SIGINT (a second signal cuts every connection at once).
`;

export const CHECK_CONFIG_HELP = `Usage: listgate check-config [--skip-files] FILE
       listgate check-config --schema

Validates a listgate configuration file without starting the gateway: YAML syntax, every key (unknown
keys are errors), and the certificate, key, CA and token files it names. Prints every problem with its
key path and exits 1, or prints one OK line and exits 0.

Flags:
  --skip-files   check the document only, not the files it names (CI, where the secrets are absent)
  --schema       print the JSON Schema of the configuration file and exit
`;

export const ESTIMATE_HELP = `Usage: listgate estimate --config FILE [--as USER] [--group G …] [--accept MEDIA] [--method M]
                        [--ops-url URL] [-o json] PATH?QUERY

Prints what the gateway estimates the request PATH?QUERY (e.g. '/api/v1/secrets?limit=500') will make the
apiserver hold: which object count and size it used and where they came from (and how old), the factors,
the expected response bytes and memory, and what admission would decide right now and why.

It asks the running gateway (GET /debug/estimate on its ops port, from FILE's ops section or --ops-url).
When the gateway is not reachable, it builds an estimator from FILE and asks the upstream directly with
the gateway's credentials (one /metrics scrape, one limit=1 probe), and says so.

Flags:
  --config FILE    the gateway's configuration (required)
  --as USER        the caller (default: anonymous); --group G adds a group (repeatable)
  --accept MEDIA   the Accept header (default application/json; e.g. 'application/json;as=Table;v=v1;g=meta.k8s.io')
  --method M       GET (default), POST, PUT, PATCH or DELETE
  --ops-url URL    where the gateway's ops port is (default http://ADDRESS:PORT from the ops section)
  -o json          one JSON object instead of text
`;

export const CALIBRATE_HELP = `Usage: listgate calibrate --kubeconfig FILE [--resource secrets] [--namespace NS] [--samples N]
                         [--max-concurrency N] [--rounds N] [--budget BYTES] [--settle DURATION]
                         [--interval DURATION] [-o json]

Measures how much memory the apiserver holds per byte of a LIST response, by where the LIST is read from
(a continued page of a paginated list, the watch cache, a consistent read, etcd), at rising concurrency
(1, 2, 4 … identical LISTs held open at once, a few rounds), while sampling its /metrics: the memory in use
(resident memory less the free heap Go keeps) above a settled baseline (a forced collection, then the
memory no longer falling) before each round. Prints the factors to put in the configuration. A mode it could not measure gets no factor and a note saying why.
It loads the apiserver: run it against a test cluster or in a quiet hour (docs/estimator.md).

Flags:
  --kubeconfig FILE      how to reach the apiserver (its user needs list on the resource, get on /metrics,
                         and get on /debug/pprof/heap to settle the memory between steps)
  --resource R           what to list: secrets (default), configmaps, deployments.apps …
  --namespace NS         list one namespace instead of all
  --samples N            intervals a round's LISTs are held once built (default 5)
  --max-concurrency N    the highest N (default 4: N = 1, 2, 4)
  --rounds N             rounds of N held LISTs per step, each from a settled baseline (default 2)
  --budget BYTES         the most the apiserver's memory may grow in a step: steps expected to pass it
                         are not started, a step that passes it is stopped (default 2Gi)
  --settle DURATION      the longest wait for the memory to settle before a step (default 60s)
  --interval DURATION    between /metrics samples while settling and holding (default 1s; ≤ 250ms
                         while the LISTs are built)
  -o json                every measurement as JSON instead of the YAML snippet
`;

export const SIMULATE_HELP = `Usage: listgate simulate [flags]

Runs the kube-apiserver simulator over HTTPS. It authenticates client certificates of the PKI's CA and
trusts X-Remote-* request headers from its front-proxy client certificate (requestHeader mode).

Flags:
  --port P               port to listen on (default 6443; 0 picks a free one)
  --host ADDR            address to listen on (default 127.0.0.1)
  --kubeconfig FILE      write an admin (system:masters) kubeconfig for the simulator to FILE
  --pki DIR              use the certificates of 'listgate certs init --dir DIR' (default: fresh ones)
  --secrets N            secrets to seed (default 100)
  --secret-size BYTES    decoded size of each secret's payload, e.g. 1Mi (default 4Ki)
  --namespaces N         extra namespaces ns-0..ns-N-1 to spread objects over (default 4)
  --configmaps N         configmaps to seed (default 20)
  --pods N               pods to seed (default 5)
  --oom-limit BYTES      model an OOM kill when in-flight response memory passes BYTES, e.g. 10Gi (default: never)
  --watch-list=BOOL      serve streaming lists (sendInitialEvents); false answers like 1.32 on an etcd older than
                         3.4.31/3.5.13: HTTP 200 and one ERROR event (default true)
  --version V            the kube-apiserver release to present: 1.32 (default) or 1.34 (adds the
                         apiserver_resource_objects and apiserver_resource_size_estimate_bytes metrics)
  --log-level LEVEL      pino level (default info)
`;

export const DEMO_HELP = `Usage: listgate demo [flags]

Starts the apiserver simulator and the gateway in front of it on loopback, writes kubeconfigs, and runs
until interrupted. The terminal shows one line per request (JSON lines with --json-logs).

Flags:
  --dir DIR              where to write kubeconfig, token.kubeconfig, admin.kubeconfig, upstream.kubeconfig,
                         listgate.yaml and pki/ (default .demo)
  --port P               gateway port (default 8443; 0 picks a free one)
  --upstream-port P      simulator port (default 6443; 0 picks a free one)
  --ops-port P           gateway health/metrics port (default 8081; 0 picks a free one)
  --log-level LEVEL      gateway log level (default info)
  --json-logs            JSON log lines instead of pretty ones
  Data flags as for 'listgate simulate' (--secrets, --secret-size, --namespaces, --configmaps, --pods,
  --oom-limit, --watch-list, --version); defaults: 200 secrets of 256Ki over 4 namespaces, OOM limit 2Gi.
`;

export const CERTS_INIT_HELP = `Usage: listgate certs init --dir DIR [--dns NAME …] [--ip ADDR …] [--server URL] [--gateway URL]

Creates a development CA, serving certificates for the apiserver and the gateway (localhost, 127.0.0.1,
::1 and the given names), a front-proxy CA and client certificate, client certificates for an admin
(system:masters), an ordinary user (${DEV_USER.name}) and the gateway's upstream identity, and
DIR/admin.kubeconfig (admin -> --server, default https://127.0.0.1:6443) and DIR/user.kubeconfig
(user -> --gateway, default https://127.0.0.1:8443).
`;

export const CERTS_CLIENT_HELP = `Usage: listgate certs client --dir DIR --cn NAME [--group G …] --out PREFIX [--server URL]

Issues PREFIX.crt / PREFIX.key signed by DIR's CA (CN = user, O = groups), and PREFIX.kubeconfig when
--server is given.
`;

export const CERTS_HELP = `Usage: listgate certs init|client [flags]

${CERTS_INIT_HELP}
${CERTS_CLIENT_HELP}`;
