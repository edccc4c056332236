package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.util.ArrayList;
import java.util.List;

/** The DNS queries routing needs; an interface so routing can be tested against fixed answers. */
interface Dns {

  /** The MX records of {@code name}; empty when the name exists but has none. */
  Future<List<Mx>> mx(String name);

  /** The TXT records of {@code name} (MTA-STS's {@code _mta-sts} record); empty by default. */
  default Future<List<String>> txt(String name) {
    return Future.succeededFuture(List.of());
  }

  /** IPv4 addresses, as literals. */
  Future<List<String>> a(String name);

  /** IPv6 addresses, as literals. */
  Future<List<String>> aaaa(String name);

  /**
   * The addresses of a host a transport route names ({@code [host]}), IPv4 first: found the way
   * the system finds them (/etc/hosts, then DNS, as nsswitch.conf says), as an operator who writes
   * {@code [localhost]:2526} expects. Fails when there are none. By default {@link #dnsAddresses}.
   */
  default Future<List<String>> hostAddresses(String name) {
    return dnsAddresses(name);
  }

  /** A then AAAA records of {@code name} through DNS alone, IPv4 first; empty when it has none. */
  default Future<List<String>> dnsAddresses(String name) {
    Future<List<String>> v4 = a(name).otherwise(List.of());
    Future<List<String>> v6 = aaaa(name).otherwise(List.of());
    return Future.all(v4, v6).map(done -> {
      List<String> all = new ArrayList<>(v4.result());
      all.addAll(v6.result());
      return all;
    });
  }

  /** Releases what the resolver holds; nothing by default. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }

  /** True when {@code t} is an authoritative "no such name" (NXDOMAIN), not a lookup failure. */
  static boolean isNameError(Throwable t) {
    return t instanceof DnsException d && d.code() == DnsResponseCode.NXDOMAIN;
  }
}
