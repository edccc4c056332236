package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.util.List;
import java.util.Map;

/**
 * Fixed answers, for tests whose subject is not DNS itself (DnsRoutingTest uses a real server):
 * A records from {@code hosts}, and MX records from {@code mx}. With no MX records given, every
 * name has none (an implicit MX); with some, a name not among them does not exist.
 */
record FixedDns(Map<String, List<Mx>> mx, Map<String, String> hosts) implements Dns {

  FixedDns(Map<String, String> hosts) {
    this(Map.of(), hosts);
  }

  @Override
  public Future<List<Mx>> mx(String name) {
    if (mx.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Mx> records = mx.get(name);
    return records == null ? Future.failedFuture(new DnsException(DnsResponseCode.NXDOMAIN))
        : Future.succeededFuture(records);
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
