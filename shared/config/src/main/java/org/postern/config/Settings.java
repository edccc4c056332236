package org.postern.config;

import static org.postern.config.Values.duration;
import static org.postern.config.Values.integer;
import static org.postern.config.Values.list;
import static org.postern.config.Values.oneOf;
import static org.postern.config.Values.size;
import static org.postern.config.Values.text;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.smtp.TlsLevel;

/**
 * Every setting Postern reads, declared once: key (prefixed by the service that reads it), default,
 * bounds and a one-line description. {@code config/README.md} documents each of these keys; a
 * test keeps the two in step.
 */
public final class Settings {

  private static final Map<String, Setting<?>> ALL = new LinkedHashMap<>();

  /** In {@code inbound.client_limit_exceptions}: Postfix's {@code $mynetworks}, our trusted networks. */
  public static final String TRUSTED_NETWORKS_REF = "$policy.trusted_networks";

  // node: the process
  public static final Setting<String> NODE_HOSTNAME = add("node.hostname", "",
      s -> s.isEmpty() ? s : Values.hostname().apply(s),
      "Our host name in the greeting, EHLO and Received headers; empty means the machine's name.");
  public static final Setting<String> NODE_DATA_DIR = add("node.data_dir", "data", text(),
      "Directory for generated keys and certificates (mode 0700).");
  public static final Setting<String> NODE_LOG = add("node.log", "stderr", text(),
      "Where the log goes: stderr, stdout, or a file path (appended; reopened on SIGUSR1 or when moved).");
  public static final Setting<String> NODE_LOG_FORMAT = add("node.log_format", "text", oneOf("text", "json"),
      "text: Postfix's lines (pflogsumm reads them); json: one JSON object per line with the same fields.");
  public static final Setting<String> NODE_LOG_LEVEL = add("node.log_level", "info",
      oneOf("error", "warn", "info", "debug"), "Least severe level logged: error, warn, info or debug.");
  public static final Setting<HostPort> NODE_ADMIN_LISTEN = add("node.admin_listen", "127.0.0.1:2580",
      Settings::adminListen,
      "Address:port of the admin API that 'postern queue' talks to (an IP literal); empty turns it off.");
  public static final Setting<String> NODE_ADMIN_ALLOW_REMOTE = add("node.admin_allow_remote", "no",
      oneOf("yes", "no"), "Whether node.admin_listen may be a non-loopback address.");
  public static final Setting<HostPort> NODE_METRICS_LISTEN = add("node.metrics_listen", "127.0.0.1:9025",
      Settings::adminListen,
      "Address:port serving GET /metrics, /health/live and /health/ready without a token (an IP literal); empty turns it off.");
  public static final Setting<String> NODE_METRICS_ALLOW_REMOTE = add("node.metrics_allow_remote", "no",
      oneOf("yes", "no"), "Whether node.metrics_listen may be a non-loopback address.");
  public static final Setting<Duration> NODE_SHUTDOWN_TIMEOUT = add("node.shutdown_timeout", "30s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(10)),
      "How long a stop (SIGTERM) waits for sessions past end of DATA and deliveries in flight.");

  // inbound: the SMTP listener
  public static final Setting<List<Listener>> INBOUND_LISTENERS = add("inbound.listeners",
      "127.0.0.1:2525 may", nonEmpty(list(Listener::parse)),
      "Comma-separated 'address:port tls [ccert=none|request|require]' listeners; tls is none, may or required;"
          + " ccert defaults to request where STARTTLS is offered.");
  public static final Setting<Long> INBOUND_MAX_MESSAGE_SIZE = add("inbound.max_message_size",
      "10240000", size(1024, 1L << 31), "SIZE limit in octets (suffixes k, m, g allowed).");
  public static final Setting<Long> INBOUND_MAX_BODY_MEMORY = add("inbound.max_body_memory", "0",
      size(0, 1L << 40), "Octets of message text all sessions of the node may hold in memory at once (being received or"
          + " waiting for the queue); over it, 452 4.3.1. 0 = a quarter of the JVM's maximum heap.");
  public static final Setting<Integer> INBOUND_MAX_RECIPIENTS = add("inbound.max_recipients",
      "1000", integer(100, 100_000), "Recipients accepted per message (RFC 5321 asks for at least 100).");
  public static final Setting<Duration> INBOUND_COMMAND_TIMEOUT = add("inbound.command_timeout",
      "300s", duration(Duration.ofSeconds(1), Duration.ofHours(1)),
      "Idle time allowed between client commands (RFC 5321 section 4.5.3.2).");
  public static final Setting<Duration> INBOUND_TLS_HANDSHAKE_TIMEOUT = add("inbound.tls_handshake_timeout",
      "60s", duration(Duration.ofSeconds(1), Duration.ofMinutes(10)),
      "Deadline for a client's TLS handshake after 220 Ready to start TLS.");

  public static final Setting<Duration> INBOUND_QUEUE_TIMEOUT = add("inbound.queue_timeout", "120s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(30)),
      "Deadline for the queue to confirm a message is stored; past it the client gets 451 4.3.0.");

  public static final Setting<Integer> INBOUND_MAX_CONNECTIONS = add("inbound.max_connections", "20000",
      integer(1, 1_000_000), "Concurrent SMTP sessions per listener; one more gets 421 4.7.0 and is closed.");
  public static final Setting<Integer> INBOUND_EVENT_LOOPS = add("inbound.event_loops", "0", integer(0, 256),
      "Event loops the listener runs on, each with its own share of the sessions and TLS handshakes on the same"
          + " ports; 0 = one per core. A listener on port 0 runs on one.");
  public static final Setting<Integer> INBOUND_MAX_CONNECTIONS_PER_IP = add("inbound.max_connections_per_ip", "50",
      integer(1, 1_000_000), "Concurrent sessions from one client address (Postfix's smtpd_client_connection_count_limit).");
  public static final Setting<Integer> INBOUND_CONNECTION_RATE_PER_IP = add("inbound.connection_rate_per_ip", "0",
      integer(0, 1_000_000), "New sessions per client address per minute; 0 means no limit (Postfix's smtpd_client_connection_rate_limit).");
  public static final Setting<Integer> INBOUND_MAX_ERRORS = add("inbound.max_errors", "20",
      integer(1, 1000), "Error replies in one session before 421 4.7.0 and disconnect (Postfix's smtpd_hard_error_limit).");
  public static final Setting<List<String>> INBOUND_CLIENT_LIMIT_EXCEPTIONS = add("inbound.client_limit_exceptions",
      TRUSTED_NETWORKS_REF, list(Settings::networkOrTrusted),
      "Client networks exempt from the per-address session count and rate limits and from inbound.max_errors"
          + " (Postfix's smtpd_client_event_limit_exceptions); " + TRUSTED_NETWORKS_REF + " stands for"
          + " policy.trusted_networks.");
  public static final Setting<String> INBOUND_POSTMASTER_ADDRESS = add("inbound.postmaster_address", "",
      Settings::postmasterAddress,
      "Where mail to <postmaster> and <postmaster@node.hostname> goes (RFC 5321 section 4.5.1), accepted from any"
          + " client and queued for that address; empty means postmaster at node.hostname's parent domain.");
  public static final Setting<Duration> INBOUND_STRESS_COMMAND_TIMEOUT = add("inbound.stress_command_timeout", "10s",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)),
      "The shorter command timeout used while a listener holds more than 80% of inbound.max_connections.");
  public static final Setting<Long> INBOUND_MIN_DATA_RATE = add("inbound.min_data_rate", "500",
      size(0, 1L << 30), "Octets per second a client must sustain during DATA and BDAT, beyond one command timeout's grace (Postfix's"
          + " smtpd_min_data_rate); 0 disables.");
  public static final Setting<String> INBOUND_AUTH_USERS = add("inbound.auth_users", "", text(),
      "File of 'user:bcrypt-hash' lines for AUTH PLAIN/LOGIN (offered only inside TLS); empty: no AUTH.");
  public static final Setting<List<HostPort>> INBOUND_DNS_SERVERS = add("inbound.dns_servers", "",
      list(s -> HostPort.parse(s, 53)),
      "DNS servers for the client's name ('ip' or 'ip:port'): PTR, then A/AAAA to confirm it; empty uses /etc/resolv.conf.");
  public static final Setting<Duration> INBOUND_DNS_TIMEOUT = add("inbound.dns_timeout", "5s",
      duration(Duration.ZERO, Duration.ofMinutes(1)),
      "Deadline for the client's name lookup at connect; past it the client is 'unknown'. 0 turns the lookup off.");
  public static final Setting<List<Cidr>> INBOUND_PROXY_NETWORKS = add("inbound.proxy_networks", "",
      list(Cidr::parse), "Load-balancer networks whose PROXY protocol header a proxy=v1 or proxy=v2 listener believes;"
          + " a connection from elsewhere on such a listener is dropped. Empty: every such connection is dropped.");
  public static final Setting<Duration> INBOUND_PROXY_TIMEOUT = add("inbound.proxy_timeout", "5s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(5)),
      "How long a proxy=v1 or proxy=v2 listener waits for the PROXY header (Postfix's smtpd_upstream_proxy_timeout).");
  public static final Setting<List<Cidr>> INBOUND_XCLIENT_NETWORKS = add("inbound.xclient_networks", "",
      list(Cidr::parse), "Front ends that are offered XCLIENT and may override the client's ADDR, PORT, NAME, HELO,"
          + " PROTO and LOGIN (Postfix's smtpd_authorized_xclient_hosts); others get 550 5.7.0. Empty: nobody.");

  // tls: certificates and engine, shared by inbound and outbound
  public static final Setting<String> TLS_ENGINE = add("tls.engine", "openssl", oneOf("openssl", "jdk"),
      "TLS implementation: openssl (BoringSSL via netty-tcnative) or jdk; openssl falls back to jdk if unavailable.");
  public static final Setting<String> TLS_CERT_CHAIN = add("tls.cert_chain", "", text(),
      "PEM file with the server certificate followed by its chain; empty generates a self-signed one.");
  public static final Setting<String> TLS_KEY = add("tls.key", "", text(),
      "PEM file with the private key of tls.cert_chain (must not be readable by group or others).");
  public static final Setting<String> TLS_MORE_CERTIFICATES = add("tls.more_certificates", "", text(),
      "More 'chain.pem key.pem' pairs, comma-separated (e.g. an RSA pair beside an ECDSA one, or other names for SNI).");
  public static final Setting<String> TLS_CA_FILE = add("tls.ca_file", "", text(),
      "PEM bundle of CAs trusted to sign client certificates (sendmail's CACertFile).");
  public static final Setting<String> TLS_CA_PATH = add("tls.ca_path", "", text(),
      "Directory of PEM CA certificates trusted to sign client certificates (sendmail's CACertPath).");
  public static final Setting<String> TLS_CRL_FILE = add("tls.crl_file", "", text(),
      "PEM or DER CRLs checked for client and next-hop certificates (sendmail's CRLFile); empty: no revocation check.");
  public static final Setting<List<String>> TLS_CIPHERS = add("tls.ciphers",
      "TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, "
          + "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
          + "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "
          + "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
      nonEmpty(list(s -> {
        if (!s.matches("TLS_[A-Z0-9_]+")) {
          throw new IllegalArgumentException("expected IANA cipher suite names such as TLS_AES_128_GCM_SHA256, got '" + s + "'");
        }
        return s;
      })), "Cipher suites the server accepts, IANA names; the default is forward-secret AEAD only.");
  public static final Setting<List<String>> TLS_PROTOCOLS = add("tls.protocols", "TLSv1.2, TLSv1.3",
      nonEmpty(list(oneOfExact("TLSv1.2", "TLSv1.3"))), "TLS versions allowed; nothing older than TLSv1.2.");
  public static final Setting<List<String>> TLS_GROUPS = add("tls.groups", "X25519MLKEM768, X25519, P-256, P-384",
      nonEmpty(list(oneOfExact("X25519MLKEM768", "X25519", "P-256", "P-384", "P-521"))),
      "Key-exchange groups the listener accepts, most preferred first (OpenSSL engine); X25519MLKEM768 is the "
          + "post-quantum hybrid, which costs more CPU per handshake than X25519 alone.");
  public static final Setting<Integer> TLS_EXPIRY_WARNING_DAYS = add("tls.expiry_warning_days", "30",
      integer(1, 365), "A server certificate this many days or fewer from expiry is warned about at start and daily.");
  public static final Setting<Duration> TLS_RELOAD_INTERVAL = add("tls.reload_interval", "60s",
      duration(Duration.ofSeconds(1), Duration.ofDays(1)),
      "How often the certificate and key files are checked for changes; a change is loaded without a restart.");
  public static final Setting<String> TLS_SESSION_TICKETS = add("tls.session_tickets", "yes", oneOf("yes", "no"),
      "Whether the listener issues TLS session tickets (TLS 1.3 and 1.2), so returning clients resume (OpenSSL engine).");
  public static final Setting<String> TLS_SESSION_TICKET_KEY_FILE = add("tls.session_ticket_key_file", "", text(),
      "File (mode 0600) holding the secret every node derives its ticket keys from; empty: a random one per start.");
  public static final Setting<Duration> TLS_SESSION_TICKET_LIFETIME = add("tls.session_ticket_lifetime", "1h",
      duration(Duration.ofMinutes(1), Duration.ofDays(1)),
      "How often the ticket key changes; a ticket resumes for at least this long and at most twice it.");

  // policy: who may relay, and what TLS each side needs
  public static final Setting<List<Cidr>> POLICY_TRUSTED_NETWORKS = add("policy.trusted_networks",
      "127.0.0.0/8, ::1/128", list(Cidr::parse),
      "Client networks that may relay to any destination (Postfix's mynetworks).");
  public static final Setting<List<String>> POLICY_RELAY_DOMAINS = add("policy.relay_domains", "",
      list(Values.domain()), "Domains that anyone may send to; '.example.net' also matches subdomains.");
  public static final Setting<List<Cidr>> POLICY_TLS_REQUIRED_NETWORKS = add("policy.tls_required_networks", "",
      list(Cidr::parse), "Client networks that must STARTTLS before anything but EHLO, HELO, NOOP, RSET and QUIT.");
  public static final Setting<String> POLICY_RELAY_AUTHENTICATED = add("policy.relay_authenticated", "yes",
      oneOf("yes", "no"), "Whether a client that passed AUTH may relay to any destination (Postfix's permit_sasl_authenticated).");
  public static final Setting<String> POLICY_ALLOW_UNTRUSTED_ROUTING = add("policy.allow_untrusted_routing", "no",
      oneOf("yes", "no"), "Whether a client that may not relay anywhere may send to relay_domains (or To: entries)"
          + " addresses with sender-specified routing: user%elsewhere@, elsewhere!user@, \"user@elsewhere\"@"
          + " (Postfix's allow_untrusted_routing); no refuses them with 554 5.7.1.");
  public static final Setting<String> POLICY_ACCESS_MAP = add("policy.access_map", "", text(),
      "sendmail-style access map file (TLS_Srv, TLS_Clt, TLS_Rcpt, Try_TLS, CERTISSUER, CERTSUBJECT, Connect, To); empty: none.");
  public static final Setting<String> POLICY_TLS_POLICY_MAP = add("policy.tls_policy_map", "", text(),
      "Postfix-style per-destination TLS policy file (smtp_tls_policy_maps syntax); empty: none.");
  public static final Setting<Duration> POLICY_RELOAD_INTERVAL = add("policy.reload_interval", "5s",
      duration(Duration.ZERO, Duration.ofHours(1)),
      "How often the policy files are checked for changes and reloaded; 0 turns reloading off.");
  public static final Setting<Duration> POLICY_TIMEOUT = add("policy.timeout", "5s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(1)),
      "Deadline of one policy question; on timeout the answer is a temporary failure, never accept.");
  public static final Setting<TlsLevel> POLICY_DESTINATION_TLS_LEVEL = add("policy.destination_tls_level",
      "may", tlsLevel(), "TLS level for destinations no rule names: none, may, encrypt, dane, dane-only, verify or secure.");

  // queue: the spool and the retry schedule
  public static final Setting<String> QUEUE_SPOOL_DIR = add("queue.spool_dir", "data/spool", text(),
      "Directory of the queue files.");
  public static final Setting<Duration> QUEUE_MIN_BACKOFF = add("queue.min_backoff", "300s",
      duration(Duration.ofSeconds(1), Duration.ofDays(1)), "First retry delay after a temporary failure.");
  public static final Setting<Duration> QUEUE_MAX_BACKOFF = add("queue.max_backoff", "4000s",
      duration(Duration.ofSeconds(1), Duration.ofDays(7)), "Longest delay between two retries.");
  public static final Setting<Duration> QUEUE_MAX_LIFETIME = add("queue.max_lifetime", "5d",
      duration(Duration.ofSeconds(1), Duration.ofDays(100)), "Age at which a message still undelivered bounces.");
  public static final Setting<Duration> QUEUE_DELIVERY_TIMEOUT = add("queue.delivery_timeout", "30m",
      duration(Duration.ofSeconds(5), Duration.ofHours(24)),
      "Deadline of one delivery attempt; past it the attempt counts as a temporary failure.");

  public static final Setting<Duration> QUEUE_DELAY_WARNING_TIME = add("queue.delay_warning_time", "0",
      duration(Duration.ZERO, Duration.ofDays(100)),
      "Age after which a sender is told, once, that delivery is delayed; 0 turns delay warnings off.");
  public static final Setting<Integer> QUEUE_BOUNCE_SIZE_LIMIT = add("queue.bounce_size_limit", "50000",
      integer(1000, 100_000_000), "Largest original message returned whole in a bounce; larger ones return their headers.");
  public static final Setting<Integer> QUEUE_DESTINATION_CONCURRENCY = add("queue.destination_concurrency", "20",
      integer(1, 1000), "Deliveries under way at once per destination domain (Postfix's default_destination_concurrency_limit).");
  public static final Setting<String> QUEUE_DEFER_DELIVERIES = add("queue.defer_deliveries", "no",
      oneOf("yes", "no"), "yes keeps accepted mail queued without delivery attempts until `postern queue flush`"
          + " (Postfix's defer_transports): for maintenance of the next hops, and for measuring acceptance alone.");
  public static final Setting<Integer> QUEUE_MAX_COMMIT_BATCH = add("queue.max_commit_batch", "256",
      integer(1, 10_000), "Most messages that share one round of fsyncs (group commit); 1 syncs every message alone.");
  public static final Setting<Long> QUEUE_JOURNAL_COMPACT_SIZE = add("queue.journal_compact_size", "8m",
      size(1024, 1L << 40), "Size of the spool's state journal at which it is rewritten, in the background, to"
          + " the live state alone.");
  public static final Setting<Long> QUEUE_SEGMENT_SIZE = add("queue.segment_size", "4m",
      size(4096, 1L << 32), "Size at which the spool's message segment (active/<name>.seg, which every store"
          + " round appends to) is rolled: the next one, created beforehand, takes the appends.");
  public static final Setting<Long> QUEUE_MIN_FREE_SPACE = add("queue.min_free_space", "100m",
      size(0, 1L << 50), "Free space below which new mail gets 452 4.3.1; mail already queued is not touched.");
  public static final Setting<Integer> QUEUE_REPLICAS = add("queue.replicas", "1", integer(0, 1),
      "Copies of each message on other queue nodes before the 250 (0 or 1); only a clustered node has other nodes,"
          + " so a standalone node ignores it.");
  public static final Setting<Duration> QUEUE_TAKEOVER_DELAY = add("queue.takeover_delay", "30s",
      duration(Duration.ZERO, Duration.ofDays(1)),
      "How long a queue node must be gone from the cluster before the nodes holding its replicas deliver them.");

  // outbound: delivery
  public static final Setting<TransportTable> OUTBOUND_TRANSPORT = add("outbound.transport", "",
      TransportTable::parse, "Routes that bypass MX lookup: 'domain=[host]:port', '.domain=...', '*=[host]:port'.");
  public static final Setting<List<HostPort>> OUTBOUND_DNS_SERVERS = add("outbound.dns_servers", "",
      list(s -> HostPort.parse(s, 53)), "DNS servers for MX lookups ('ip' or 'ip:port'); empty uses /etc/resolv.conf.");
  public static final Setting<String> OUTBOUND_DNS_SUPPORT_LEVEL = add("outbound.dns_support_level", "enabled",
      oneOf("enabled", "dnssec"), "enabled: plain DNS; dnssec: trust the AD bit of the validating resolvers in"
          + " outbound.dns_servers (loopback only), which DANE needs (Postfix's smtp_dns_support_level).");
  public static final Setting<Duration> OUTBOUND_CONNECT_TIMEOUT = add("outbound.connect_timeout", "30s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(10)), "TCP connect deadline per next-hop address.");
  public static final Setting<Duration> OUTBOUND_COMMAND_TIMEOUT = add("outbound.command_timeout", "300s",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)), "Deadline for each reply from the next hop.");
  public static final Setting<Duration> OUTBOUND_STARTTLS_TIMEOUT = add("outbound.starttls_timeout", "300s",
      duration(Duration.ofSeconds(1), Duration.ofHours(1)),
      "Deadline for the reply to STARTTLS and the handshake (sendmail's Timeout.starttls).");
  public static final Setting<String> OUTBOUND_TLS_CERT_CHAIN = add("outbound.tls_cert_chain", "", text(),
      "PEM client certificate and chain shown to next hops that ask (Postfix's smtp_tls_cert_file, sendmail's ClientCertFile).");
  public static final Setting<String> OUTBOUND_TLS_KEY = add("outbound.tls_key", "", text(),
      "PEM private key of outbound.tls_cert_chain, mode 0600 (Postfix's smtp_tls_key_file, sendmail's ClientKeyFile).");
  public static final Setting<String> OUTBOUND_TLS_CA_FILE = add("outbound.tls_ca_file", "", text(),
      "PEM bundle of CAs that verify next-hop certificates at levels verify and secure; empty uses the JDK's CAs.");
  public static final Setting<String> OUTBOUND_TLS_CA_PATH = add("outbound.tls_ca_path", "", text(),
      "Directory of PEM CA certificates added to outbound.tls_ca_file (Postfix's smtp_tls_CApath).");
  public static final Setting<Duration> OUTBOUND_TLS_SESSION_CACHE_TIMEOUT = add("outbound.tls_session_cache_timeout",
      "3600s", duration(Duration.ofSeconds(1), Duration.ofDays(1)),
      "How long a TLS session with a next hop may be resumed by a later connection (Postfix's smtp_tls_session_cache_timeout).");
  public static final Setting<Duration> OUTBOUND_TLS_BROKEN_PEER_MEMORY = add("outbound.tls_broken_peer_memory",
      "3600s", duration(Duration.ZERO, Duration.ofDays(7)),
      "How long a next hop whose TLS handshake failed at level may is sent plaintext without trying STARTTLS; 0 forgets at once.");
  public static final Setting<String> OUTBOUND_TLS_NOTE_STARTTLS_OFFER = add("outbound.tls_note_starttls_offer", "yes",
      oneOf("yes", "no"), "Log next hops that offer STARTTLS while policy says none (Postfix's smtp_tls_note_starttls_offer).");
  public static final Setting<Integer> OUTBOUND_CONNECTION_REUSE_LIMIT = add("outbound.connection_reuse_limit", "100",
      integer(1, 100_000), "Messages sent over one connection before it is closed; 1 turns connection reuse off.");
  public static final Setting<Duration> OUTBOUND_CONNECTION_IDLE_TIMEOUT = add("outbound.connection_idle_timeout", "2s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(5)),
      "How long a connection waits unused for the next message to its destination before QUIT (Postfix's smtp_connection_cache_time_limit).");
  public static final Setting<Integer> OUTBOUND_DESTINATION_CONCURRENCY = add("outbound.destination_concurrency", "20",
      integer(1, 1000), "Connections open at once to one destination (a domain, or a transport next hop).");
  public static final Setting<Duration> OUTBOUND_DESTINATION_RATE_DELAY = add("outbound.destination_rate_delay", "0s",
      duration(Duration.ZERO, Duration.ofHours(1)),
      "Pause between two deliveries to one destination; above 0 it also means one delivery at a time (Postfix's default_destination_rate_delay).");
  public static final Setting<Integer> OUTBOUND_MAX_CONNECTIONS = add("outbound.max_connections", "500",
      integer(1, 100_000), "Outbound SMTP connections open at once on this node, idle cached ones included.");
  public static final Setting<String> OUTBOUND_RELAY_CREDENTIALS = add("outbound.relay_credentials", "", text(),
      "File of 'nexthop user:password' lines (mode 0600) for AUTH PLAIN/LOGIN to a relayhost, sent only inside TLS.");

  public static final Setting<String> OUTBOUND_MTA_STS = add("outbound.mta_sts", "yes", oneOf("yes", "no"),
      "Apply recipient domains' MTA-STS policies (RFC 8461) to MX-routed mail without a TLS policy entry.");
  public static final Setting<String> OUTBOUND_MTA_STS_CA_FILE = add("outbound.mta_sts_ca_file", "", text(),
      "PEM CAs trusted for MTA-STS policy hosts besides the JDK's: for private deployments and tests.");
  public static final Setting<Duration> OUTBOUND_MTA_STS_FETCH_TIMEOUT = add("outbound.mta_sts_fetch_timeout", "30s",
      duration(Duration.ofSeconds(1), Duration.ofMinutes(1)), "Deadline of one MTA-STS policy fetch over HTTPS.");
  public static final Setting<Integer> OUTBOUND_MTA_STS_CACHE_SIZE = add("outbound.mta_sts_cache_size", "10000",
      integer(10, 1_000_000), "Domains whose MTA-STS policies a node keeps in memory (least used dropped first).");
  public static final Setting<String> OUTBOUND_MTA_STS_CACHE_FILE = add("outbound.mta_sts_cache_file",
      "data/mta-sts.cache", text(), "File that keeps MTA-STS policies across restarts; empty keeps them in memory only.");

  // cluster: joining other nodes (read only by 'postern run --cluster'; see deploy/README.md, "Cluster")
  public static final Setting<String> CLUSTER_NAME = add("cluster.name", "postern", s -> {
    if (!s.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException("expected 1 to 64 letters, digits, '.', '_' or '-', got '" + s + "'");
    }
    return s;
  }, "Name of the cluster; nodes with another name do not join each other.");
  public static final Setting<List<HostPort>> CLUSTER_MEMBERS = add("cluster.members", "",
      list(Settings::member), "Hazelcast addresses of the other nodes ('host' or 'host:port'); multicast is never used.");
  public static final Setting<String> CLUSTER_INTERFACE = add("cluster.interface", "127.0.0.1",
      Settings::ipLiteral, "IP literal of the private interface Hazelcast binds to; its traffic is not encrypted.");
  public static final Setting<Integer> CLUSTER_PORT = add("cluster.port", "5701", integer(1, 65535),
      "Port Hazelcast listens on (membership and cluster state).");
  public static final Setting<String> CLUSTER_BUS_HOST = add("cluster.bus_host", "",
      s -> s.isEmpty() ? s : ipLiteral(s), "IP literal the event bus listens on and other nodes reach it at; empty means cluster.interface.");
  public static final Setting<Integer> CLUSTER_BUS_PORT = add("cluster.bus_port", "5710", integer(0, 65535),
      "Port of the event bus (TLS); 0 picks a free port.");
  public static final Setting<String> CLUSTER_BUS_CERT_CHAIN = add("cluster.bus_cert_chain", "", text(),
      "PEM node certificate (serverAuth and clientAuth) followed by its chain, shown on every event-bus connection.");
  public static final Setting<String> CLUSTER_BUS_KEY = add("cluster.bus_key", "", text(),
      "PEM private key of cluster.bus_cert_chain (must not be readable by group or others).");
  public static final Setting<String> CLUSTER_BUS_CA_FILE = add("cluster.bus_ca_file", "", text(),
      "PEM bundle of the CA that issues node certificates; peers must present a certificate it signed.");
  public static final Setting<String> CLUSTER_INSECURE_EVENT_BUS = add("cluster.insecure_event_bus", "no",
      oneOf("yes", "no"), "yes runs the event bus in plaintext without node certificates: for experiments only.");
  public static final Setting<List<String>> CLUSTER_OPERATOR_KEYS = add("cluster.operator_keys", "",
      list(text()), "Operator public keys (PEM files; '*' allowed in the file name) whose signed config pushes this node applies.");

  private Settings() {}

  private static String networkOrTrusted(String s) {
    if (!s.equals(TRUSTED_NETWORKS_REF)) {
      Cidr.parse(s);
    }
    return s;
  }

  private static String postmasterAddress(String s) {
    if (s.isEmpty()) {
      return s;
    }
    try {
      org.postern.smtp.Path p = org.postern.smtp.Path.parseMailbox(s);
      if (p.domain().isEmpty()) {
        throw new IllegalArgumentException("no domain");
      }
      return s;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected an address such as postmaster@example.net, got '" + s + "'");
    }
  }

  /** All settings in declaration order. */
  public static Map<String, Setting<?>> all() {
    return ALL;
  }

  private static <T> Setting<T> add(String key, String def, java.util.function.Function<String, T> parser, String doc) {
    Setting<T> s = new Setting<>(key, def, parser, doc);
    ALL.put(key, s);
    return s;
  }

  private static <T> java.util.function.Function<String, List<T>> nonEmpty(java.util.function.Function<String, List<T>> p) {
    return s -> {
      List<T> v = p.apply(s);
      if (v.isEmpty()) {
        throw new IllegalArgumentException("must not be empty");
      }
      return v;
    };
  }

  private static java.util.function.Function<String, String> oneOfExact(String... words) {
    return s -> {
      for (String w : words) {
        if (w.equals(s)) {
          return w;
        }
      }
      throw new IllegalArgumentException("expected one of " + String.join(", ", words) + ", got '" + s + "'");
    };
  }

  /** {@code ip:port} or {@code [ipv6]:port}, an IP literal; the empty string (no such listener) is null. */
  private static HostPort adminListen(String s) {
    if (s.isEmpty()) {
      return null;
    }
    HostPort hp = HostPort.parse(s, -1);
    if (!IpLiterals.isLiteral(hp.host())) {
      throw new IllegalArgumentException("expected an IP literal such as 127.0.0.1:2580 or [::1]:2580, got '" + s + "'");
    }
    return hp;
  }

  /** An IPv4 or IPv6 literal, brackets removed. */
  private static String ipLiteral(String s) {
    String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    if (!IpLiterals.isLiteral(t)) {
      throw new IllegalArgumentException("expected an IP literal such as 10.0.0.5, got '" + s + "'");
    }
    return t;
  }

  /** A cluster member: an IP literal or host name, with Hazelcast's port 5701 when none is given. */
  private static HostPort member(String s) {
    HostPort hp = HostPort.parse(s, 5701);
    if (!IpLiterals.isLiteral(hp.host())) {
      Values.hostname().apply(hp.host());
    }
    return hp;
  }

  /** Whether an IP literal is a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x.y.z). */
  public static boolean isLoopback(String ipLiteral) {
    byte[] b = IpLiterals.parse(ipLiteral);
    if (b == null) {
      return false;
    }
    if (b.length == 16 && IpLiterals.isV4Mapped(b)) {
      return b[12] == 127;
    }
    try {
      return java.net.InetAddress.getByAddress(b).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  private static java.util.function.Function<String, TlsLevel> tlsLevel() {
    return s -> {
      TlsLevel level;
      try {
        level = TlsLevel.parse(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected none, may, encrypt, dane, dane-only, verify or secure, got '"
            + s + "'");
      }
      return level;
    };
  }
}
