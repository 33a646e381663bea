/**
 * Text printed by `-h` and `--help_tls`. The flag list, grouping and column
 * layout follow the Go server's `nats-server -h` (main.go usage) so scripts and
 * people find the same options in the same places; the descriptions are ours.
 */

const USAGE = `
Usage: nats-server [options]

Server Options:
    -a, --addr, --net <host>         Host address to bind to (default: 0.0.0.0)
    -p, --port <port>                Port for client connections (default: 4222, -1 for random)
    -n, --name
        --server_name <server_name>  Name of this server (default: the server id)
    -P, --pid <file>                 Write the process id to this file
    -m, --http_port <port>           Port for HTTP monitoring
    -ms,--https_port <port>          Port for HTTPS monitoring
    -c, --config <file>              Configuration file to load
    -t                               Check the configuration file and exit
    -sl,--signal <signal>[=<pid>]    Signal a running server (ldm, stop, quit, term, reopen, reload)
                                     <pid> is a process id (e.g. 1) or a pid file path (e.g. /var/run/nats-server.pid)
        --client_advertise <string>  Client URL advertised to other servers
        --ports_file_dir <dir>       Write a ports file into this directory (<executable_name>_<pid>.ports)

Logging Options:
    -l, --log <file>                 Write log output to this file
    -T, --logtime                    Add timestamps to log lines (default: true)
    -s, --syslog                     Send log output to syslog (event log on Windows)
    -r, --remote_syslog <addr>       Remote syslog address (udp://localhost:514)
    -D, --debug                      Turn on debug output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (system account included)
    -DV                              Debug output and protocol trace
    -DVV                             Debug output and verbose trace (system account included)
        --log_size_limit <limit>     Rotate the log file at this size (default: no limit)
        --max_traced_msg_len <len>   Truncate traced message payloads to this length (default: no limit)

JetStream Options:
    -js, --jetstream                 Turn on JetStream
    -sd, --store_dir <dir>           JetStream storage directory

Authorization Options:
        --user <user>                Username clients must present
        --pass <password>            Password clients must present
        --auth <token>               Token clients must present

TLS Options:
        --tls                        Turn on TLS without verifying clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Server certificate private key file
        --tlsverify                  Turn on TLS and verify client certificates
        --tlscacert <file>           CA used to verify client certificates

Cluster Options:
        --routes <rurl-1, rurl-2>    Route URLs to connect to
        --cluster <cluster-url>      URL to accept route connections on
        --cluster_name <string>      Cluster name (generated when not given)
        --no_advertise <bool>        Do not tell clients about other cluster members
        --cluster_advertise <string> Cluster URL advertised to other servers
        --connect_retries <number>   Connect attempts for implicit routes
        --cluster_listen <url>       Same as --cluster

Profiling Options:
        --profile <port>             Port for the profiling HTTP endpoint

Common Options:
    -h, --help                       Print this message
    -v, --version                    Print the version
        --help_tls                   Print TLS configuration help
`;

/** The `-h` text, exactly what should go to stdout (Go prints its usage plus a newline). */
export function usage(): string {
  return USAGE;
}

/**
 * IANA names accepted in `tls { cipher_suites: [...] }`: the suites Go's
 * crypto/tls offers (secure ones first, then the legacy RSA key-exchange ones).
 */
export const TLS_CIPHER_SUITE_NAMES: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_RSA_WITH_AES_128_CBC_SHA',
  'TLS_RSA_WITH_AES_256_CBC_SHA',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
];

/** Names accepted in `tls { curve_preferences: [...] }` (Go's names). */
export const TLS_CURVE_NAMES: readonly string[] = [
  'X25519MLKEM768',
  'SecP384r1MLKEM1024',
  'SecP256r1MLKEM768',
  'X25519',
  'CurveP256',
  'CurveP384',
  'CurveP521',
];

const TLS_HELP_HEAD = `
TLS for client connections is configured in a tls block of the configuration file:

e.g.

    tls {
        cert_file:      "./certs/server-cert.pem"
        key_file:       "./certs/server-key.pem"
        ca_file:        "./certs/ca.pem"
        verify:         true
        verify_and_map: true

        cipher_suites: [
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        ]
        curve_preferences: [
            "CurveP256",
            "CurveP384",
            "CurveP521"
        ]
    }

Available cipher suites include:
`;

/** The `--help_tls` text (same sections as Go's: example block, cipher suites, curves). */
export function tlsHelp(): string {
  const ciphers = TLS_CIPHER_SUITE_NAMES.map((n) => `    ${n}\n`).join('');
  const curves = TLS_CURVE_NAMES.map((n) => `    ${n}\n`).join('');
  return `${TLS_HELP_HEAD}${ciphers}\nAvailable curve preferences include:\n${curves}`;
}
