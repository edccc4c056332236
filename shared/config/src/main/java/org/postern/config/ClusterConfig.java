package org.postern.config;

import java.util.List;

/**
 * Settings for joining a cluster ({@code cluster.*}), read only when the node runs with
 * {@code --cluster}. Hazelcast carries membership over {@code iface:port} in plaintext; the event
 * bus, which carries the mail, runs over TLS with node certificates on {@code busHost:busPort}.
 *
 * @param members Hazelcast addresses of the other nodes (TCP/IP join; multicast is never used)
 * @param iface the IP literal Hazelcast binds to: a private interface
 * @param busHost the IP literal the event bus binds to and is reached at
 * @param busPort the event bus port, 0 for any free port
 * @param busCertChain PEM node certificate and chain, empty when not configured
 * @param busKey PEM key of {@code busCertChain}
 * @param busCaFile PEM CA that signs node certificates
 * @param insecureEventBus whether the operator asked for a plaintext event bus without certificates
 */
public record ClusterConfig(String name, List<HostPort> members, String iface, int port, String busHost,
    int busPort, String busCertChain, String busKey, String busCaFile, boolean insecureEventBus) {

  public ClusterConfig {
    members = List.copyOf(members);
  }

  /** Whether all three event-bus TLS files are set. */
  public boolean busTlsConfigured() {
    return !busCertChain.isEmpty() && !busKey.isEmpty() && !busCaFile.isEmpty();
  }
}
