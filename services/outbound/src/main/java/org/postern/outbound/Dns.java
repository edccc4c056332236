package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.util.List;

/** The DNS queries routing needs; an interface so routing can be tested against fixed answers. */
interface Dns {

  /** The MX records of {@code name}; empty when the name exists but has none. */
  Future<List<Mx>> mx(String name);

  /** IPv4 addresses, as literals. */
  Future<List<String>> a(String name);

  /** IPv6 addresses, as literals. */
  Future<List<String>> aaaa(String name);

  /** Releases what the resolver holds; nothing by default. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }

  /** True when {@code t} is an authoritative "no such name" (NXDOMAIN), not a lookup failure. */
  static boolean isNameError(Throwable t) {
    return t instanceof DnsException d && d.code() == DnsResponseCode.NXDOMAIN;
  }
}
