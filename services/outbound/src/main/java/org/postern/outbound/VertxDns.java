package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.MxRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.postern.config.HostPort;

/**
 * {@link Dns} over Vert.x's non-blocking DNS client. With several configured servers, a query
 * that fails on one (timeout, SERVFAIL) is asked of the next; an NXDOMAIN is an answer, not a
 * failure, and is not asked again.
 */
final class VertxDns implements Dns {

  private final List<DnsClient> clients;

  private VertxDns(List<DnsClient> clients) {
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
    return new VertxDns(clients);
  }

  @Override
  public Future<List<Mx>> mx(String name) {
    return ask(c -> c.resolveMX(name).map(VertxDns::toMx), 0);
  }

  @Override
  public Future<List<String>> a(String name) {
    return ask(c -> c.resolveA(name), 0);
  }

  @Override
  public Future<List<String>> aaaa(String name) {
    return ask(c -> c.resolveAAAA(name), 0);
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
      out.add(new Mx(r.priority(), r.name()));
    }
    return out;
  }
}
