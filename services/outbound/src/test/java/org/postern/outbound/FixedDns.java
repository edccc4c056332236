package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.util.List;
import java.util.Map;

/** Fixed A records and no MX at all, for tests whose subject is not routing (see DnsRoutingTest). */
record FixedDns(Map<String, String> hosts) implements Dns {

  @Override
  public Future<List<Mx>> mx(String name) {
    return Future.succeededFuture(List.of());
  }

  @Override
  public Future<List<String>> a(String name) {
    String ip = hosts.get(name);
    return ip == null ? Future.failedFuture(new DnsException(DnsResponseCode.NXDOMAIN))
        : Future.succeededFuture(List.of(ip));
  }

  @Override
  public Future<List<String>> aaaa(String name) {
    return Future.succeededFuture(List.of());
  }
}
