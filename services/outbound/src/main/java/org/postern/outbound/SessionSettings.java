package org.postern.outbound;

import java.time.Duration;
import java.util.List;
import org.postern.tls.PeerVerification;

/**
 * What every client session needs, fixed at start.
 *
 * @param hostname our EHLO name
 * @param tlsProtocols the protocols offered after STARTTLS, e.g. TLSv1.2 and TLSv1.3
 * @param verification judges server chains (loaded once: reading the trust store is file I/O)
 */
record SessionSettings(
    String hostname,
    Duration commandTimeout,
    Duration starttlsTimeout,
    List<String> tlsProtocols,
    PeerVerification verification) {}
