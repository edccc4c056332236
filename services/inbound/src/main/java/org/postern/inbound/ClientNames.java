package org.postern.inbound;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.postern.config.HostPort;
import org.postern.config.InboundConfig;
import org.postern.config.IpLiterals;

/**
 * The client's host name, as Postfix's smtpd finds it: the PTR record of its address, kept only
 * when an address lookup of that name gives the client's address back (forward-confirmed reverse
 * DNS). Otherwise, and when any lookup fails or the deadline ({@code inbound.dns_timeout}) passes,
 * the name is unknown (null), and only address keys of the access map can match the client.
 *
 * <p>Anyone who controls the reverse zone of their addresses can make a PTR record say anything;
 * the forward lookup is what ties the name to the address, so an unconfirmed name is never used.
 * Lookups go through Vert.x's non-blocking DNS client, never through {@link InetAddress}'s
 * resolver.
 */
final class ClientNames {

  private static final Logger LOG = Logger.getLogger("postern.inbound");
  private static final String CONTEXT_KEY = ClientNames.class.getName();
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

  /** Empty when the lookup is off ({@code inbound.dns_timeout = 0}). */
  private final List<DnsClient> clients;
  private final Duration timeout;

  private ClientNames(List<DnsClient> clients, Duration timeout) {
    this.clients = clients;
    this.timeout = timeout;
  }

  /**
   * The lookup of the calling context: one set of DNS clients per inbound verticle instance (its
   * event loop), shared by its connections, rather than one per connection.
   */
  static ClientNames of(Vertx vertx, InboundConfig config) {
    Context context = vertx.getOrCreateContext();
    ClientNames names = context.get(CONTEXT_KEY);
    if (names == null) {
      names = create(vertx, config.dnsServers(), config.dnsTimeout());
      context.put(CONTEXT_KEY, names);
    }
    return names;
  }

  static ClientNames create(Vertx vertx, List<HostPort> servers, Duration timeout) {
    List<DnsClient> clients = new ArrayList<>();
    if (!timeout.isZero()) {
      for (HostPort s : servers) {
        clients.add(vertx.createDnsClient(new DnsClientOptions().setHost(s.host()).setPort(s.port())
            .setQueryTimeout(timeout.toMillis())));
      }
      if (clients.isEmpty()) {
        // The system's resolver configuration (/etc/resolv.conf), read by Vert.x, not by InetAddress.
        clients.add(vertx.createDnsClient(new DnsClientOptions().setQueryTimeout(timeout.toMillis())));
      }
    }
    return new ClientNames(List.copyOf(clients), timeout);
  }

  /** The forward-confirmed name of {@code ip} (lower case), or null; never fails. */
  Future<String> lookup(String ip) {
    if (clients.isEmpty()) {
      return Future.succeededFuture(null);
    }
    byte[] address = unmapped(IpLiterals.parse(ip));
    if (address == null) {
      return Future.succeededFuture(null);
    }
    String literal = literal(address);
    return ask(c -> c.reverseLookup(literal), 0)
        .compose(ptr -> confirm(name(ptr), address, literal))
        .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .otherwise(e -> {
          LOG.fine(() -> "no host name for [" + ip + "]: " + e.getMessage());
          return null;
        });
  }

  private Future<String> confirm(String name, byte[] address, String literal) {
    if (name == null) {
      return Future.succeededFuture(null);
    }
    Future<List<String>> forward = address.length == 4
        ? ask(c -> c.resolveA(name), 0) : ask(c -> c.resolveAAAA(name), 0);
    return forward.map(found -> {
      for (String a : found) {
        byte[] b = unmapped(IpLiterals.parse(a));
        if (b != null && Arrays.equals(b, address)) {
          return name;
        }
      }
      LOG.info(() -> "warning: hostname " + name + " does not resolve to address " + literal);
      return null;
    });
  }

  /** A PTR answer as a host name: lower case, no trailing dot; null when it is not a host name. */
  private static String name(String ptr) {
    if (ptr == null) {
      return null;
    }
    String n = ptr.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    // "unknown" is the word for no name in logs and headers: a PTR saying it is not believed.
    return n.length() > 253 || n.equals("unknown") || !HOST_NAME.matcher(n).matches() ? null : n;
  }

  /** Asks the servers in turn until one answers. */
  private <T> Future<T> ask(Function<DnsClient, Future<T>> query, int i) {
    return query.apply(clients.get(i))
        .recover(e -> i + 1 < clients.size() ? ask(query, i + 1) : Future.failedFuture(e));
  }

  /** An IPv4-mapped IPv6 address as the IPv4 address it carries. */
  private static byte[] unmapped(byte[] b) {
    return b != null && b.length == 16 && IpLiterals.isV4Mapped(b) ? Arrays.copyOfRange(b, 12, 16) : b;
  }

  /** The address in the form the DNS client expects; no lookup happens for an address literal. */
  private static String literal(byte[] address) {
    try {
      return InetAddress.getByAddress(address).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e); // only for a length other than 4 or 16
    }
  }
}
