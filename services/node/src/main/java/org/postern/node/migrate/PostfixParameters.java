package org.postern.node.migrate;

import java.util.Map;
import java.util.Set;

/**
 * The Postfix parameters {@link PostfixImport} knows, by what becomes of them: one setting each,
 * read together with others, not needed (and why), or with no equivalent (and what to do instead).
 * config/MIGRATING.md is the same table for people; keep them in step.
 */
final class PostfixParameters {

  private PostfixParameters() {}

  /** Postfix's unit for a bare number, per time parameter. */
  static final Map<String, String> TIME_UNIT = Map.ofEntries(
      Map.entry("maximal_queue_lifetime", "d"), Map.entry("bounce_queue_lifetime", "d"),
      Map.entry("delay_warning_time", "h"), Map.entry("minimal_backoff_time", "s"),
      Map.entry("maximal_backoff_time", "s"), Map.entry("smtpd_timeout", "s"),
      Map.entry("smtpd_starttls_timeout", "s"), Map.entry("smtp_connect_timeout", "s"),
      Map.entry("smtp_starttls_timeout", "s"), Map.entry("smtp_tls_session_cache_timeout", "s"),
      Map.entry("smtp_connection_cache_time_limit", "s"), Map.entry("default_destination_rate_delay", "s"));

  /** One parameter, one setting, the value carried as it is (times with their unit made explicit). */
  static final Map<String, String> DIRECT = Map.ofEntries(
      Map.entry("myhostname", "node.hostname"),
      Map.entry("message_size_limit", "inbound.max_message_size"),
      Map.entry("smtpd_recipient_limit", "inbound.max_recipients"),
      Map.entry("smtpd_timeout", "inbound.command_timeout"),
      Map.entry("smtpd_starttls_timeout", "inbound.tls_handshake_timeout"),
      Map.entry("smtpd_client_connection_count_limit", "inbound.max_connections_per_ip"),
      Map.entry("smtpd_client_connection_rate_limit", "inbound.connection_rate_per_ip"),
      Map.entry("smtpd_hard_error_limit", "inbound.max_errors"),
      Map.entry("smtpd_tls_cert_file", "tls.cert_chain"),
      Map.entry("smtpd_tls_key_file", "tls.key"),
      Map.entry("smtpd_tls_CAfile", "tls.ca_file"),
      Map.entry("smtpd_tls_CApath", "tls.ca_path"),
      Map.entry("allow_untrusted_routing", "policy.allow_untrusted_routing"),
      Map.entry("maximal_queue_lifetime", "queue.max_lifetime"),
      Map.entry("minimal_backoff_time", "queue.min_backoff"),
      Map.entry("maximal_backoff_time", "queue.max_backoff"),
      Map.entry("delay_warning_time", "queue.delay_warning_time"),
      Map.entry("bounce_size_limit", "queue.bounce_size_limit"),
      Map.entry("default_destination_concurrency_limit", "queue.destination_concurrency"),
      Map.entry("smtp_destination_concurrency_limit", "outbound.destination_concurrency"),
      Map.entry("smtp_connect_timeout", "outbound.connect_timeout"),
      Map.entry("smtp_starttls_timeout", "outbound.starttls_timeout"),
      Map.entry("smtp_tls_cert_file", "outbound.tls_cert_chain"),
      Map.entry("smtp_tls_key_file", "outbound.tls_key"),
      Map.entry("smtp_tls_CAfile", "outbound.tls_ca_file"),
      Map.entry("smtp_tls_CApath", "outbound.tls_ca_path"),
      Map.entry("smtp_tls_session_cache_timeout", "outbound.tls_session_cache_timeout"),
      Map.entry("smtp_tls_note_starttls_offer", "outbound.tls_note_starttls_offer"),
      Map.entry("smtp_connection_reuse_count_limit", "outbound.connection_reuse_limit"),
      Map.entry("smtp_connection_cache_time_limit", "outbound.connection_idle_timeout"),
      Map.entry("default_destination_rate_delay", "outbound.destination_rate_delay"));

  /** Parameters that another one's conversion reads (handled together, not one by one). */
  static final Set<String> COMBINED = Set.of("inet_interfaces", "inet_protocols", "smtpd_tls_security_level",
      "smtpd_use_tls", "smtpd_enforce_tls", "smtpd_tls_ask_ccert", "smtpd_tls_req_ccert", "smtp_tls_security_level",
      "smtp_use_tls", "smtp_enforce_tls", "smtpd_tls_protocols", "smtpd_tls_mandatory_protocols",
      "smtpd_relay_restrictions", "smtpd_recipient_restrictions", "mynetworks", "relay_domains", "relayhost",
      "smtp_tls_policy_maps", "smtpd_client_event_limit_exceptions", "relay_clientcerts", "mynetworks_style", "transport_maps", "smtp_sasl_auth_enable", "smtp_sasl_password_maps",
      "parent_domain_matches_subdomains", "smtpd_sasl_auth_enable", "smtpd_tls_auth_only", "smtpd_tls_eccert_file",
      "smtpd_tls_eckey_file");

  /** Parameters Postern has no use for, and why. */
  static final Map<String, String> NOT_NEEDED = Map.ofEntries(
      Map.entry("smtpd_tls_session_cache_database", "Postern resumes TLS 1.2 sessions from memory; there is no cache file"),
      Map.entry("smtp_tls_session_cache_database", "the outbound session cache lives in memory, for outbound.tls_session_cache_timeout"),
      Map.entry("smtpd_tls_session_cache_timeout", "the listener's session cache is in memory and not configurable"),
      Map.entry("smtpd_tls_loglevel", "every STARTTLS is logged (STARTTLS=server line: version, cipher, bits, verify); more with node.log_level = debug"),
      Map.entry("smtp_tls_loglevel", "every STARTTLS is logged (STARTTLS=client line); more with node.log_level = debug"),
      Map.entry("smtpd_tls_received_header", "the Received header always names the TLS version, cipher and client certificate verdict"),
      Map.entry("smtpd_tls_dh1024_param_file", "no DH parameter file: the suites are ECDHE or TLS 1.3, key exchange groups are tls.groups"),
      Map.entry("smtpd_tls_dh512_param_file", "no DH parameter file: the suites are ECDHE or TLS 1.3, key exchange groups are tls.groups"),
      Map.entry("smtpd_tls_eecdh_grade", "key exchange groups are tls.groups (X25519MLKEM768, X25519, P-256, P-384 by default)"),
      Map.entry("tls_random_source", "keys and nonces come from the operating system's CSPRNG (getrandom, /dev/urandom)"),
      Map.entry("tls_random_exchange_name", "keys and nonces come from the operating system's CSPRNG"),
      Map.entry("tls_daemon_random_bytes", "keys and nonces come from the operating system's CSPRNG"),
      Map.entry("queue_run_delay", "Postern has no periodic queue scan: each deferred message has its own retry timer"),
      Map.entry("smtp_tls_connection_reuse", "connections are reused inside TLS by default (outbound.connection_reuse_limit)"),
      Map.entry("compatibility_level", "Postfix's defaults-compatibility switch; Postern's defaults are in config/README.md"),
      Map.entry("queue_directory", "Postern's spool has its own format (queue.spool_dir); drain the Postfix queue before the switch"),
      Map.entry("command_directory", "a Postfix installation path"),
      Map.entry("daemon_directory", "a Postfix installation path"),
      Map.entry("data_directory", "a Postfix installation path; Postern's is node.data_dir"),
      Map.entry("meta_directory", "a Postfix installation path"),
      Map.entry("shlib_directory", "a Postfix installation path"),
      Map.entry("readme_directory", "a Postfix installation path"),
      Map.entry("html_directory", "a Postfix installation path"),
      Map.entry("manpage_directory", "a Postfix installation path"),
      Map.entry("sample_directory", "a Postfix installation path"),
      Map.entry("sendmail_path", "a Postfix installation path"),
      Map.entry("newaliases_path", "a Postfix installation path"),
      Map.entry("mailq_path", "a Postfix installation path; Postern's queue listing is postern queue list"),
      Map.entry("mail_owner", "Postern runs as the user that starts it (see deploy/README.md)"),
      Map.entry("setgid_group", "Postern has no setgid helper"),
      Map.entry("biff", "Postern delivers nothing locally"),
      Map.entry("append_dot_mydomain", "Postern relays addresses as the client wrote them"),
      Map.entry("smtp_tls_mandatory_protocols", "outbound TLS is always TLSv1.2 or later"),
      Map.entry("smtp_tls_protocols", "outbound TLS is always TLSv1.2 or later"),
      Map.entry("smtpd_tls_mandatory_ciphers", "the cipher list (tls.ciphers) is forward-secret AEAD only by default, for every level"),
      Map.entry("smtpd_tls_ciphers", "the cipher list (tls.ciphers) is forward-secret AEAD only by default, for every level"),
      Map.entry("smtp_tls_mandatory_ciphers", "outbound uses the TLS library's modern defaults"),
      Map.entry("smtp_tls_ciphers", "outbound uses the TLS library's modern defaults"),
      Map.entry("smtpd_tls_exclude_ciphers", "the default cipher list has no weak suites to exclude"),
      Map.entry("smtp_tls_exclude_ciphers", "outbound uses the TLS library's modern defaults"),
      Map.entry("tls_high_cipherlist", "the default cipher list is already forward-secret AEAD only"),
      Map.entry("tls_medium_cipherlist", "the default cipher list is already forward-secret AEAD only"),
      Map.entry("mydomain", "used here only to expand $mydomain in other parameters"),
      Map.entry("myorigin", "Postern does not complete addresses that have no domain"));

  /** Parameters with no Postern equivalent, and what to do instead. */
  static final Map<String, String> UNSUPPORTED = Map.ofEntries(
      Map.entry("mydestination", "Postern delivers nothing locally: mail for these domains must be routed to a mailbox host (outbound.transport)"),
      Map.entry("alias_maps", "Postern delivers nothing locally and rewrites no addresses"),
      Map.entry("alias_database", "Postern delivers nothing locally and rewrites no addresses"),
      Map.entry("virtual_alias_maps", "Postern rewrites no addresses"),
      Map.entry("canonical_maps", "Postern rewrites no addresses"),
      Map.entry("sender_canonical_maps", "Postern rewrites no addresses"),
      Map.entry("recipient_canonical_maps", "Postern rewrites no addresses"),
      Map.entry("home_mailbox", "Postern delivers nothing locally"),
      Map.entry("mailbox_command", "Postern delivers nothing locally"),
      Map.entry("mailbox_size_limit", "Postern delivers nothing locally"),
      Map.entry("local_recipient_maps", "Postern delivers nothing locally"),
      Map.entry("relay_recipient_maps", "Postern does not check recipients against a list; the next hop does"),
      Map.entry("smtpd_banner", "the greeting is fixed: '220 <node.hostname> ESMTP Postern'"),
      Map.entry("smtp_sasl_security_options", "Postern authenticates to a relayhost inside TLS only"),
      Map.entry("smtp_sasl_tls_security_options", "Postern authenticates to a relayhost inside TLS only"),
      Map.entry("smtpd_sasl_type", "AUTH users are a file of user:bcrypt-hash lines (inbound.auth_users; postern auth hash)"),
      Map.entry("smtpd_sasl_path", "AUTH users are a file of user:bcrypt-hash lines (inbound.auth_users; postern auth hash)"),
      Map.entry("smtpd_sasl_security_options", "AUTH (PLAIN, LOGIN) is offered inside TLS only"),
      Map.entry("smtpd_helo_restrictions", "Postern has no HELO restrictions"),
      Map.entry("smtpd_sender_restrictions", "sender rules are From: entries of the access map (policy.access_map)"),
      Map.entry("smtpd_client_restrictions", "client rules are Connect: entries of the access map (policy.access_map)"),
      Map.entry("smtpd_data_restrictions", "Postern has no DATA restrictions"),
      Map.entry("smtpd_helo_required", "Postern accepts MAIL without HELO/EHLO only as RFC 5321 allows"),
      Map.entry("disable_vrfy_command", "VRFY is always answered with 252, never with a mailbox"),
      Map.entry("bounce_queue_lifetime", "bounces are retried for queue.max_lifetime like any other mail"),
      Map.entry("smtp_tls_CAfile_dane", "DANE trusts TLSA records alone, with no CA file"),
      Map.entry("smtp_dns_support_level", "set outbound.dns_support_level = dnssec and outbound.dns_servers to the"
          + " validating resolver on loopback by hand (Postfix trusted /etc/resolv.conf's; Postern names it)"),
      Map.entry("smtpd_milters", "Postern has no milter interface"),
      Map.entry("non_smtpd_milters", "Postern has no milter interface"),
      Map.entry("milter_default_action", "Postern has no milter interface"),
      Map.entry("content_filter", "Postern has no content filter hook"),
      Map.entry("header_checks", "Postern does not inspect message content"),
      Map.entry("body_checks", "Postern does not inspect message content"),
      Map.entry("smtpd_tls_dcert_file", "DSA certificates are not supported; use ECDSA or RSA"),
      Map.entry("smtpd_tls_dkey_file", "DSA certificates are not supported; use ECDSA or RSA"),
      Map.entry("smtpd_tls_chain_files", "give the certificate chain and key as separate PEM files (tls.cert_chain, tls.key)"),
      Map.entry("defer_transports", "Postern holds every delivery or none (queue.defer_deliveries), not per transport"),
      Map.entry("anvil_rate_time_unit", "inbound.connection_rate_per_ip is per minute"),
      Map.entry("smtpd_tls_always_issue_session_ids", "not configurable"),
      Map.entry("smtpd_tls_wrappermode", "Postern speaks STARTTLS only, no implicit TLS (port 465)"));
}
