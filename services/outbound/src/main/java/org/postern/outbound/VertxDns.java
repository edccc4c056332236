package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.MxRecord;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.postern.config.HostPort;

/**
 * {@link Dns} over Vert.x's non-blocking DNS client. With several configured servers, a query
 * that fails on one (timeout, SERVFAIL) is asked of the next; an NXDOMAIN is an answer, not a
 * failure, and is not asked again.
 */
final class VertxDns implements Dns {

  /** Links followed before a chain counts as a loop. */
  static final int MAX_CNAME_CHAIN = 8;

  private final Vertx vertx;
  private final List<DnsClient> clients;

  private VertxDns(Vertx vertx, List<DnsClient> clients) {
    this.vertx = vertx;
    this.clients = List.copyOf(clients);
  }

  /** Clients for {@code servers}, or the system's resolver (resolv.conf) when the list is empty. */
  static VertxDns create(Vertx vertx, List<HostPort> servers) {
    List<DnsClient> clients = new ArrayList<>();
    for (HostPort s : servers) {
      clients.add(vertx.createDnsClient(new DnsClientOptions().setHost(s.host()).setPort(s.port())));
    }
    if (clients.isEmpty()) {
      clients.add(vertx.createDnsClient());
    }
    return new VertxDns(vertx, clients);
  }

  @Override
  public Future<List<Mx>> mx(String name) {
    return ask(c -> c.resolveMX(name).map(VertxDns::toMx), 0);
  }

  @Override
  public Future<List<String>> txt(String name) {
    // A name without TXT records (NXDOMAIN included) has no policy: an empty answer, not a failure.
    return ask(c -> c.resolveTXT(name), 0).recover(t -> Dns.isNameError(t)
        ? Future.succeededFuture(List.of()) : Future.failedFuture(t));
  }

  @Override
  public Future<List<String>> a(String name) {
    return following(name, DnsClient::resolveA, 0);
  }

  @Override
  public Future<List<String>> aaaa(String name) {
    return following(name, DnsClient::resolveAAAA, 0);
  }

  /**
   * Addresses of {@code name}, following a CNAME chain when the address query finds none: the
   * resolver below does not follow chains longer than one link, and MX targets behind CNAMEs,
   * though RFC 2181 §10.3 frowns on them, are common.
   */
  private Future<List<String>> following(String name, BiFunction<DnsClient, String, Future<List<String>>> query,
      int depth) {
    return ask(c -> query.apply(c, name), 0).transform(ar -> {
      if (ar.succeeded() && !ar.result().isEmpty()) {
        return Future.succeededFuture(ar.result());
      }
      if (ar.failed() && Dns.isNameError(ar.cause())) {
        return Future.failedFuture(ar.cause());
      }
      return ask(c -> c.resolveCNAME(name), 0).transform(cname -> {
        if (cname.failed() || cname.result().isEmpty()) {
          return ar.succeeded() ? Future.succeededFuture(ar.result()) : Future.<List<String>>failedFuture(ar.cause());
        }
        if (depth >= MAX_CNAME_CHAIN) {
          return Future.failedFuture(new IllegalStateException("CNAME chain from " + name + " longer than "
              + MAX_CNAME_CHAIN));
        }
        return following(cname.result().get(0), query, depth + 1);
      });
    });
  }

  /**
   * The system's resolver (the JDK's, which asks getaddrinfo: /etc/hosts first on a usual system),
   * on a worker thread since it blocks; when it knows no address, the DNS servers above. Vert.x's
   * DNS client never reads /etc/hosts, so {@code [localhost]} would not resolve through it alone.
   */
  @Override
  public Future<List<String>> hostAddresses(String name) {
    return vertx.executeBlocking(() -> {
      List<String> v4 = new ArrayList<>();
      List<String> v6 = new ArrayList<>();
      for (InetAddress a : InetAddress.getAllByName(name)) {
        String ip = a.getHostAddress();
        int scope = ip.indexOf('%');
        (a instanceof Inet4Address ? v4 : v6).add(scope < 0 ? ip : ip.substring(0, scope));
      }
      v4.addAll(v6);
      return v4;
    }, false).recover(t -> dnsAddresses(name)).compose(found -> found.isEmpty()
        ? dnsAddresses(name) : Future.succeededFuture(found));
  }

  @Override
  public Future<Void> close() {
    List<Future<Void>> closing = clients.stream().map(DnsClient::close).toList();
    return Future.join(closing).mapEmpty();
  }

  private <T> Future<T> ask(Function<DnsClient, Future<T>> query, int i) {
    return query.apply(clients.get(i)).recover(t -> Dns.isNameError(t) || i + 1 >= clients.size()
        ? Future.failedFuture(t)
        : ask(query, i + 1));
  }

  private static List<Mx> toMx(List<MxRecord> records) {
    List<Mx> out = new ArrayList<>(records.size());
    for (MxRecord r : records) {
      // Vert.x gives the root name of a null MX (RFC 7505) as null.
      out.add(new Mx(r.priority(), r.name() == null ? "." : r.name()));
    }
    return out;
  }
}
