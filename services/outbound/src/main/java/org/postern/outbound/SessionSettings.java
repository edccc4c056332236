package org.postern.outbound;

import io.vertx.core.net.ClientSSLOptions;
import java.time.Duration;
import org.postern.tls.PeerVerification;
import org.postern.tls.TlsHandshakeMeter;

/**
 * What every client session needs, fixed at start.
 *
 * @param hostname our EHLO name
 * @param tlsOptions the options of every STARTTLS handshake (protocols, deadline, our client
 *     certificate if any); one instance, so that the engine keeps one context and so one session
 *     cache, which is what lets a later connection to the same peer resume its TLS session
 * @param verification judges server chains (loaded once: reading the trust store is file I/O)
 * @param noteStarttlsOffer log hosts that offer STARTTLS when policy says none
 * @param credentials relayhost AUTH credentials by next hop
 * @param handshakes counts every STARTTLS handshake, by version, cipher and result
 */
record SessionSettings(
    String hostname,
    Duration commandTimeout,
    Duration starttlsTimeout,
    ClientSSLOptions tlsOptions,
    PeerVerification verification,
    boolean noteStarttlsOffer,
    RelayCredentials credentials,
    TlsHandshakeMeter handshakes) {}
