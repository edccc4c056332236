package org.postern.config;

/**
 * Settings of the node process ({@code node.*}).
 *
 * @param adminListen where the admin API listens, or null when it is off
 * @param adminAllowRemote whether {@code adminListen} may be a non-loopback address
 */
public record NodeConfig(String hostname, String dataDir, String log, String logLevel, HostPort adminListen,
    boolean adminAllowRemote) {}
