package org.postern.inbound;

import io.vertx.core.net.ServerSSLOptions;
import java.time.Clock;
import java.time.Duration;
import org.postern.config.InboundConfig;
import org.postern.tls.TlsEngine;

/**
 * What every connection of the inbound verticle shares: settings, TLS, the AUTH users and a clock.
 *
 * @param serverTls options for STARTTLS, or null when no usable certificate could be loaded
 * @param authUsers the AUTH credentials, or null when AUTH is not configured
 */
record InboundContext(InboundConfig config, String hostname, TlsEngine engine, ServerSSLOptions serverTls,
    AuthUsers authUsers, Duration policyTimeout, Clock clock) {}
