package org.postern.config;

import java.time.Duration;
import java.util.List;
import org.postern.smtp.TlsLevel;

/** Relay and TLS policy settings ({@code policy.*}). */
public record PolicyConfig(
    List<Cidr> trustedNetworks,
    List<String> relayDomains,
    List<Cidr> tlsRequiredNetworks,
    boolean relayAuthenticated,
    String accessMap,
    String tlsPolicyMap,
    Duration reloadInterval,
    Duration timeout,
    TlsLevel destinationTlsLevel,
    boolean allowUntrustedRouting) {}
